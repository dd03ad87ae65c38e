//! In-memory labelled image sets, kept as `u8`, and their copies on a Candle device.
//!
//! An [`ImageDataset`] holds every image of one split as raw bytes (`N x C x H x W`, channel
//! planes in row-major order) with one label per image. [`ImageDataset::to_device`] uploads the
//! bytes once; batches are then gathered and normalised to `[0, 1]` floats on the device, so a
//! batch never copies more than its own images.

#[cfg(feature = "tensors")]
use candle_core::{DType, Device, Tensor};

#[cfg(feature = "tensors")]
use crate::batches::ShuffledBatches;
use crate::error::{DataError, Result};
use crate::files::SourceFile;

/// A labelled set of equally sized images, as bytes.
#[derive(Debug, Clone)]
pub struct ImageDataset {
    /// A name such as `mnist/train`.
    pub name: String,
    /// `len() * C * H * W` bytes, image after image, each as C planes of H rows of W pixels.
    pub images: Vec<u8>,
    /// One label per image, in `0..classes.len()`.
    pub labels: Vec<u32>,
    /// Channels, height and width of every image.
    pub shape: [usize; 3],
    /// Class names; label `i` is `classes[i]`.
    pub classes: Vec<String>,
    /// The files the images were read from and what their checksums say.
    pub sources: Vec<SourceFile>,
}

impl ImageDataset {
    /// Builds a dataset after checking that the sizes agree.
    pub fn new(
        name: impl Into<String>,
        images: Vec<u8>,
        labels: Vec<u32>,
        shape: [usize; 3],
        classes: Vec<String>,
        sources: Vec<SourceFile>,
    ) -> Result<Self> {
        let name = name.into();
        let per = shape.iter().product::<usize>();
        if per == 0 || images.len() != labels.len() * per {
            return Err(DataError::Invalid(format!(
                "{name}: {} image bytes for {} labels of shape {shape:?} (expected {})",
                images.len(),
                labels.len(),
                labels.len() * per
            )));
        }
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= classes.len()) {
            return Err(DataError::Invalid(format!(
                "{name}: label {bad} but only {} classes",
                classes.len()
            )));
        }
        Ok(Self { name, images, labels, shape, classes, sources })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image (`C * H * W`).
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// The bytes of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_len();
        &self.images[i * n..(i + 1) * n]
    }

    /// How many images each class has, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// A new dataset holding the images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Result<Self> {
        let n = self.image_len();
        let mut images = Vec::with_capacity(indices.len() * n);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            if i >= self.len() {
                return Err(DataError::Invalid(format!(
                    "{}: index {i} out of range for {} images",
                    self.name,
                    self.len()
                )));
            }
            images.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Ok(Self {
            name: self.name.clone(),
            images,
            labels,
            shape: self.shape,
            classes: self.classes.clone(),
            sources: self.sources.clone(),
        })
    }

    /// The first `n` images (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            name: self.name.clone(),
            images: self.images[..n * self.image_len()].to_vec(),
            labels: self.labels[..n].to_vec(),
            shape: self.shape,
            classes: self.classes.clone(),
            sources: self.sources.clone(),
        }
    }

    /// Uploads the images (as `u8`) and labels (as `u32`) to `device`, once.
    #[cfg(feature = "tensors")]
    pub fn to_device(&self, device: &Device) -> Result<DeviceDataset> {
        let [c, h, w] = self.shape;
        let images = Tensor::from_slice(&self.images, (self.len(), c, h, w), device)?;
        let labels = Tensor::from_slice(&self.labels, self.len(), device)?;
        Ok(DeviceDataset { images, labels, len: self.len(), classes: self.classes.len(), norm: None })
    }
}

/// A dataset living on a Candle device as `u8` images and `u32` labels.
#[cfg(feature = "tensors")]
#[derive(Debug, Clone)]
pub struct DeviceDataset {
    images: Tensor,
    labels: Tensor,
    len: usize,
    classes: usize,
    /// Per-channel `(scale, shift)`, each `(1, C, 1, 1)`, in place of `1 / 255` and 0
    /// ([`DeviceDataset::standardised`]).
    norm: Option<(Tensor, Tensor)>,
}

/// One batch: images as `f32` in `[0, 1]` (or standardised, [`DeviceDataset::standardised`]) with
/// shape `(B, C, H, W)`, labels as `u32` `(B,)`.
#[cfg(feature = "tensors")]
#[derive(Debug, Clone)]
pub struct Batch {
    /// Normalised images.
    pub images: Tensor,
    /// Class labels.
    pub labels: Tensor,
}

#[cfg(feature = "tensors")]
impl DeviceDataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// How many classes the images are labelled with: [`DeviceDataset::classes`] unless the set
    /// was cut to some of them ([`DeviceDataset::with_classes`]) or lacks some by chance. Reads
    /// the labels from the device.
    pub fn labelled_classes(&self) -> Result<usize> {
        let mut seen = vec![false; self.classes.max(1)];
        for l in self.labels.to_vec1::<u32>()? {
            if let Some(s) = seen.get_mut(l as usize) {
                *s = true;
            }
        }
        Ok(seen.iter().filter(|&&s| s).count())
    }

    /// The first `n` images (all of them if there are fewer), without copying.
    pub fn take(&self, n: usize) -> Result<DeviceDataset> {
        let n = n.min(self.len);
        Ok(DeviceDataset {
            images: self.images.narrow(0, 0, n)?,
            labels: self.labels.narrow(0, 0, n)?,
            len: n,
            classes: self.classes,
            norm: self.norm.clone(),
        })
    }

    /// The images whose labels are among `classes`, in their order, labels unchanged (so a
    /// network still has an output for every class): CIFAR-10's classes 5-9, say, for a transfer
    /// test from a network trained on classes 0-4. Gathers the images once, on the device.
    pub fn with_classes(&self, classes: &[u32]) -> Result<DeviceDataset> {
        if let Some(bad) = classes.iter().find(|&&c| c as usize >= self.classes) {
            return Err(DataError::Invalid(format!(
                "class {bad}: the dataset's classes are 0 to {}",
                self.classes.saturating_sub(1)
            )));
        }
        let labels: Vec<u32> = self.labels.to_vec1()?;
        let keep: Vec<u32> =
            (0..labels.len() as u32).filter(|&i| classes.contains(&labels[i as usize])).collect();
        if keep.is_empty() {
            return Err(DataError::Invalid(format!("no image has one of the classes {classes:?}")));
        }
        let idx = Tensor::from_slice(&keep, keep.len(), self.images.device())?;
        Ok(DeviceDataset {
            images: self.images.index_select(&idx, 0)?,
            labels: self.labels.index_select(&idx, 0)?,
            len: keep.len(),
            classes: self.classes,
            norm: self.norm.clone(),
        })
    }

    /// Each channel's mean and standard deviation (over all images and pixels, the population's)
    /// of the pixel values in `[0, 1]`, measured in chunks of 1,000 images on the device.
    pub fn channel_stats(&self) -> Result<(Vec<f32>, Vec<f32>)> {
        let c = self.images.dims()[1];
        let (mut sum, mut sq) = (vec![0f64; c], vec![0f64; c]);
        for start in (0..self.len).step_by(1000) {
            let n = 1000.min(self.len - start);
            let x = self.images.narrow(0, start, n)?.to_dtype(DType::F32)?.affine(1.0 / 255.0, 0.0)?;
            let x = x.transpose(0, 1)?.flatten_from(1)?;
            let s: Vec<f32> = x.sum(1)?.to_vec1()?;
            let q: Vec<f32> = x.sqr()?.sum(1)?.to_vec1()?;
            for i in 0..c {
                sum[i] += s[i] as f64;
                sq[i] += q[i] as f64;
            }
        }
        let count = (self.len * self.images.dims()[2..].iter().product::<usize>()) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / count.max(1.0)).collect();
        let std = sq.iter().zip(&mean).map(|(q, m)| ((q / count.max(1.0) - m * m).max(0.0)).sqrt() as f32);
        Ok((mean.iter().map(|&m| m as f32).collect(), std.collect()))
    }

    /// The same images, whose batches are standardised per channel: `(x - mean[c]) / std[c]`,
    /// `x` the pixel value in `[0, 1]` (one `mean` and `std` per channel, each `std` positive).
    pub fn standardised(&self, mean: &[f32], std: &[f32]) -> Result<DeviceDataset> {
        let c = self.images.dims()[1];
        if mean.len() != c || std.len() != c {
            return Err(DataError::Invalid(format!(
                "standardising {c}-channel images needs {c} means and {c} standard deviations, got {} and {}",
                mean.len(),
                std.len()
            )));
        }
        if let Some(bad) = std.iter().chain(mean).find(|v| !v.is_finite()).or(std.iter().find(|&&s| s <= 0.0))
        {
            return Err(DataError::Invalid(format!(
                "standardising with mean {mean:?} and std {std:?}: {bad} will not do (each must be a finite \
                 number, each std positive)"
            )));
        }
        let dev = self.images.device();
        let scale: Vec<f32> = std.iter().map(|s| 1.0 / (255.0 * s)).collect();
        let shift: Vec<f32> = mean.iter().zip(std).map(|(m, s)| -m / s).collect();
        let scale = Tensor::from_vec(scale, (1, c, 1, 1), dev)?;
        let shift = Tensor::from_vec(shift, (1, c, 1, 1), dev)?;
        Ok(DeviceDataset { norm: Some((scale, shift)), ..self.clone() })
    }

    /// Whether batches are standardised.
    pub fn is_standardised(&self) -> bool {
        self.norm.is_some()
    }

    /// Bytes to floats: `x / 255`, or standardised.
    fn to_float(&self, bytes: Tensor) -> Result<Tensor> {
        let x = bytes.to_dtype(DType::F32)?;
        Ok(match &self.norm {
            None => x.affine(1.0 / 255.0, 0.0)?,
            Some((scale, shift)) => x.broadcast_mul(scale)?.broadcast_add(shift)?,
        })
    }

    /// The device the data lives on.
    pub fn device(&self) -> &Device {
        self.images.device()
    }

    /// Gathers the images at `ids` and normalises them on the device.
    pub fn batch(&self, ids: &[u32]) -> Result<Batch> {
        let idx = Tensor::from_slice(ids, ids.len(), self.images.device())?;
        self.batch_from_tensor(&idx)
    }

    fn batch_from_tensor(&self, idx: &Tensor) -> Result<Batch> {
        let images = self.to_float(self.images.index_select(idx, 0)?)?;
        let labels = self.labels.index_select(idx, 0)?;
        Ok(Batch { images, labels })
    }

    /// Images `start..start + n` in order (for evaluation).
    pub fn range(&self, start: usize, n: usize) -> Result<Batch> {
        let n = n.min(self.len.saturating_sub(start));
        let images = self.to_float(self.images.narrow(0, start, n)?)?;
        let labels = self.labels.narrow(0, start, n)?;
        Ok(Batch { images, labels })
    }

    /// All images in order, `batch_size` at a time (the last batch may be smaller).
    pub fn sequential(&self, batch_size: usize) -> impl Iterator<Item = Result<Batch>> + '_ {
        let batch_size = batch_size.max(1);
        (0..self.len).step_by(batch_size).map(move |start| self.range(start, batch_size))
    }

    /// An endless stream of shuffled batches: each epoch is a new permutation drawn from `seed`.
    pub fn shuffled(&self, batch_size: usize, seed: u64) -> impl Iterator<Item = Result<Batch>> + '_ {
        self.shuffled_from(batch_size, seed, 0)
    }

    /// [`DeviceDataset::shuffled`] after its first `skip` batches, without gathering them: a
    /// resumed run goes on with the batches it would have seen.
    pub fn shuffled_from(
        &self,
        batch_size: usize,
        seed: u64,
        skip: usize,
    ) -> impl Iterator<Item = Result<Batch>> + '_ {
        let mut ids = ShuffledBatches::new(self.len, batch_size, seed);
        for _ in 0..skip {
            if ids.next().is_none() {
                break;
            }
        }
        ids.map(move |ids| self.batch(&ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ImageDataset {
        // 4 images of 1x2x2: image i is filled with i * 85.
        let images = (0..4u8).flat_map(|i| [i * 85; 4]).collect();
        ImageDataset::new("tiny", images, vec![0, 1, 0, 1], [1, 2, 2], vec!["a".into(), "b".into()], vec![])
            .unwrap()
    }

    #[test]
    fn new_rejects_mismatched_sizes_and_labels() {
        assert!(ImageDataset::new("x", vec![0; 7], vec![0, 0], [1, 2, 2], vec!["a".into()], vec![]).is_err());
        assert!(ImageDataset::new("x", vec![0; 4], vec![3], [1, 2, 2], vec!["a".into()], vec![]).is_err());
    }

    #[test]
    fn class_counts_and_subset() {
        let d = tiny();
        assert_eq!(d.class_counts(), vec![2, 2]);
        let s = d.subset(&[3, 0]).unwrap();
        assert_eq!(s.labels, vec![1, 0]);
        assert_eq!(s.image(0), &[255; 4]);
        assert!(d.subset(&[4]).is_err());
        assert_eq!(d.take(10).len(), 4);
    }

    #[cfg(feature = "tensors")]
    #[test]
    fn batches_are_normalised_on_device() {
        let d = tiny().to_device(&Device::Cpu).unwrap();
        let b = d.batch(&[3, 1]).unwrap();
        assert_eq!(b.images.dims(), &[2, 1, 2, 2]);
        let v: Vec<f32> = b.images.flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(v[0], 1.0);
        assert!((v[4] - 85.0 / 255.0).abs() < 1e-6);
        assert_eq!(b.labels.to_vec1::<u32>().unwrap(), vec![1, 1]);
        let all: Vec<usize> = d.sequential(3).map(|b| b.unwrap().labels.dims()[0]).collect();
        assert_eq!(all, vec![3, 1]);
    }

    #[cfg(feature = "tensors")]
    #[test]
    fn standardised_batches_have_zero_mean_and_unit_deviation() {
        let d = tiny().to_device(&Device::Cpu).unwrap();
        let (mean, std) = d.channel_stats().unwrap();
        // Pixels 0, 1/3, 2/3, 1 four times each: mean 1/2, variance 5/36.
        assert!((mean[0] - 0.5).abs() < 1e-6, "{mean:?}");
        assert!((std[0] - (5.0f32 / 36.0).sqrt()).abs() < 1e-6, "{std:?}");
        let s = d.standardised(&mean, &std).unwrap();
        assert!(s.is_standardised() && !d.is_standardised());
        let v: Vec<f32> = s.range(0, 4).unwrap().images.flatten_all().unwrap().to_vec1().unwrap();
        let m = v.iter().sum::<f32>() / v.len() as f32;
        let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / v.len() as f32;
        assert!(m.abs() < 1e-6 && (var - 1.0).abs() < 1e-5, "{m} {var}");
        let b: Vec<f32> = s.batch(&[3]).unwrap().images.flatten_all().unwrap().to_vec1().unwrap();
        assert!((b[0] - 0.5 / std[0]).abs() < 1e-5);
        assert!(s.take(2).unwrap().is_standardised());
        assert!(d.standardised(&[0.5, 0.5], &[1.0, 1.0]).unwrap_err().to_string().contains("needs 1 means"));
        assert!(d.standardised(&[0.5], &[0.0]).is_err());
    }

    #[cfg(feature = "tensors")]
    #[test]
    fn a_subset_of_classes_keeps_its_images_and_labels() {
        let d = tiny().to_device(&Device::Cpu).unwrap();
        let odd = d.with_classes(&[1]).unwrap();
        assert_eq!((odd.len(), odd.classes()), (2, 2));
        let b = odd.range(0, 2).unwrap();
        assert_eq!(b.labels.to_vec1::<u32>().unwrap(), vec![1, 1]);
        let v: Vec<f32> = b.images.flatten_all().unwrap().to_vec1().unwrap();
        assert!((v[0] - 85.0 / 255.0).abs() < 1e-6 && v[4] == 1.0, "{v:?}");
        assert!(d.with_classes(&[2]).unwrap_err().to_string().contains("classes are 0 to 1"));
    }

    #[cfg(feature = "tensors")]
    #[test]
    fn labelled_classes_counts_the_classes_kept() {
        let d = tiny().to_device(&Device::Cpu).unwrap();
        assert_eq!(d.labelled_classes().unwrap(), 2);
        let one = d.with_classes(&[1]).unwrap();
        assert_eq!((one.classes(), one.labelled_classes().unwrap()), (2, 1));
    }

    #[cfg(feature = "tensors")]
    #[test]
    fn shuffled_from_goes_on_after_the_skipped_batches() {
        let d = tiny().to_device(&Device::Cpu).unwrap();
        let labels = |b: Result<Batch>| b.unwrap().images.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let whole: Vec<Vec<f32>> = d.shuffled(3, 5).take(7).map(labels).collect();
        let after: Vec<Vec<f32>> = d.shuffled_from(3, 5, 4).take(3).map(labels).collect();
        assert_eq!(after, whole[4..]);
    }
}
