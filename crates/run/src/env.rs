//! Where a run reads its data and computes: [`RunEnv`].

use std::path::Path;

use candle_core::Device;

use crate::data::DataCache;

/// Where a run reads its data and computes.
#[derive(Clone, Copy)]
pub struct RunEnv<'a> {
    /// The data root (`<root>/<dataset>/<official files>`).
    pub root: &'a Path,
    /// Where tensors live and compute.
    pub device: &'a Device,
    /// Datasets already loaded, shared by the runs of one process.
    pub cache: &'a DataCache,
}
