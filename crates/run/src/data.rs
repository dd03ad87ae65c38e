//! Datasets loaded once onto a device and shared by the runs that use them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use candle_core::Device;
use innate_datasets::{Dataset, DeviceDataset, Split};

use crate::error::Result;

/// One split of a dataset on a device.
#[derive(Clone)]
pub struct LoadedSplit {
    /// The images and labels.
    pub data: DeviceDataset,
    /// Class names in label order.
    pub classes: Vec<String>,
    /// Seconds the load (reading and checking the files) took.
    pub load_seconds: f64,
}

/// Datasets already loaded onto a device, so that several runs load each only once.
#[derive(Default)]
pub struct DataCache {
    loaded: Mutex<HashMap<(String, Split, String), LoadedSplit>>,
}

impl DataCache {
    /// The split of `dataset` on `device`, loaded from `root` on first use. Runs on several
    /// threads share one cache: a split is loaded once, by the first run that asks for it, while
    /// the others wait for it.
    pub fn get(&self, root: &Path, dataset: &str, split: Split, device: &Device) -> Result<LoadedSplit> {
        let key = (dataset.to_string(), split, format!("{:?}", device.location()));
        // A thread that panicked while holding the lock left the map as it was before its insert.
        let mut loaded = self.loaded.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(hit) = loaded.get(&key) {
            return Ok(hit.clone());
        }
        let which: Dataset = dataset.parse()?;
        let t = Instant::now();
        let data = which.load(root, split)?;
        let load_seconds = t.elapsed().as_secs_f64();
        tracing::info!(
            "loaded {} ({} images, {:?}) in {:.2} s",
            data.name,
            data.len(),
            data.shape,
            load_seconds
        );
        let value =
            LoadedSplit { data: data.to_device(device)?, classes: data.classes.clone(), load_seconds };
        loaded.insert(key, value.clone());
        Ok(value)
    }
}
