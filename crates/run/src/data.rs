//! Datasets loaded once onto a device and shared by the runs that use them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use candle_core::Device;
use std::sync::Arc;

use innate_datasets::{Dataset, DeviceDataset, Omniglot, Split};

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
    omniglot: Mutex<HashMap<std::path::PathBuf, (Arc<Omniglot>, f64)>>,
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

    /// Omniglot's characters as few-shot tasks draw them (28 x 28, ink 255), read from `root`
    /// once per process, and the seconds the first read took.
    pub fn omniglot(&self, root: &Path) -> Result<(Arc<Omniglot>, f64)> {
        let mut loaded = self.omniglot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(hit) = loaded.get(root) {
            return Ok(hit.clone());
        }
        let t = Instant::now();
        let o = Arc::new(innate_datasets::omniglot::load(root, 28)?);
        let secs = t.elapsed().as_secs_f64();
        tracing::info!(
            "loaded omniglot ({} characters, {} images) in {secs:.2} s",
            o.characters.len(),
            o.len()
        );
        loaded.insert(root.to_path_buf(), (o.clone(), secs));
        Ok((o, secs))
    }
}
