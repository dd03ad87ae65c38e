//! Seeded N-way K-shot tasks from Omniglot, as in the standard MAML setup.
//!
//! The 1,623 characters of both sets are shuffled with a split seed; the first 1,200 are the
//! meta-training classes and the other 423 the meta-test classes. With rotations on (the default
//! for meta-training), each character rotated by 0, 90, 180 or 270 degrees counts as a class of
//! its own, so meta-training draws from 4,800 classes. A task picks `n_way` distinct classes and,
//! for each, `k_shot + q_query` distinct drawings: the first `k_shot` form the support set, the
//! rest the query set. Labels are `0..n_way` in the order the classes were drawn.

#[cfg(feature = "tensors")]
use candle_core::{DType, Device, Tensor};
use rand::Rng;
use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom, index};
use rand_chacha::ChaCha8Rng;

use crate::error::{DataError, Result};
use crate::omniglot::Omniglot;

/// Number of meta-training characters in the standard split.
pub const TRAIN_CHARACTERS: usize = 1200;

/// Which classes tasks are drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassSplit {
    /// The 1,200 meta-training characters.
    Train,
    /// The other 423 characters.
    Test,
}

/// The shape of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskSpec {
    /// Classes per task.
    pub n_way: usize,
    /// Support images per class.
    pub k_shot: usize,
    /// Query images per class.
    pub q_query: usize,
    /// Whether rotated characters count as new classes.
    pub rotations: bool,
}

/// One sampled task: support and query images (ink = 255) with labels `0..n_way`.
#[derive(Debug, Clone)]
pub struct Task {
    /// Shape the task was drawn with.
    pub spec: TaskSpec,
    /// Side of each (square) image.
    pub size: usize,
    /// `n_way * k_shot` images, class by class.
    pub support: Vec<u8>,
    /// Labels of the support images.
    pub support_labels: Vec<u32>,
    /// `n_way * q_query` images, class by class.
    pub query: Vec<u8>,
    /// Labels of the query images.
    pub query_labels: Vec<u32>,
    /// For each label: the character index and the number of quarter turns applied.
    pub classes: Vec<(usize, u8)>,
}

#[cfg(feature = "tensors")]
impl Task {
    /// Support images as `f32` in `[0, 1]`, shape `(n_way * k_shot, 1, size, size)`, and labels.
    pub fn support_tensors(&self, device: &Device) -> Result<(Tensor, Tensor)> {
        tensors(&self.support, &self.support_labels, self.size, device)
    }

    /// Query images as `f32` in `[0, 1]`, shape `(n_way * q_query, 1, size, size)`, and labels.
    pub fn query_tensors(&self, device: &Device) -> Result<(Tensor, Tensor)> {
        tensors(&self.query, &self.query_labels, self.size, device)
    }
}

#[cfg(feature = "tensors")]
fn tensors(images: &[u8], labels: &[u32], size: usize, device: &Device) -> Result<(Tensor, Tensor)> {
    let x = Tensor::from_slice(images, (labels.len(), 1, size, size), device)?
        .to_dtype(DType::F32)?
        .affine(1.0 / 255.0, 0.0)?;
    let y = Tensor::from_slice(labels, labels.len(), device)?;
    Ok((x, y))
}

/// Draws tasks from an [`Omniglot`] with the standard class split.
#[derive(Debug, Clone)]
pub struct TaskSampler<'a> {
    data: &'a Omniglot,
    train: Vec<usize>,
    test: Vec<usize>,
}

impl<'a> TaskSampler<'a> {
    /// Splits the characters of `data` with `split_seed`: 1,200 for meta-training (or, for a
    /// smaller dataset such as a test fixture, the same 1200/1623 share), the rest for testing.
    pub fn new(data: &'a Omniglot, split_seed: u64) -> Self {
        let n = data.characters.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(split_seed));
        let n_train = if n >= 1623 {
            TRAIN_CHARACTERS
        } else {
            (n * TRAIN_CHARACTERS).div_ceil(1623).min(n.saturating_sub(1))
        };
        let test = order.split_off(n_train);
        Self { data, train: order, test }
    }

    /// The character indices of a split.
    pub fn characters(&self, split: ClassSplit) -> &[usize] {
        match split {
            ClassSplit::Train => &self.train,
            ClassSplit::Test => &self.test,
        }
    }

    /// Draws one task.
    pub fn sample(&self, split: ClassSplit, spec: TaskSpec, rng: &mut impl Rng) -> Result<Task> {
        let chars = self.characters(split);
        let turns = if spec.rotations { 4 } else { 1 };
        let pool = chars.len() * turns;
        if spec.n_way == 0 || spec.n_way > pool {
            return Err(DataError::Invalid(format!(
                "cannot draw {}-way tasks from {pool} classes of the {split:?} split",
                spec.n_way
            )));
        }
        let per_class = spec.k_shot + spec.q_query;
        let size = self.data.size;
        let px = size * size;
        let mut task = Task {
            spec,
            size,
            support: Vec::with_capacity(spec.n_way * spec.k_shot * px),
            support_labels: Vec::with_capacity(spec.n_way * spec.k_shot),
            query: Vec::with_capacity(spec.n_way * spec.q_query * px),
            query_labels: Vec::with_capacity(spec.n_way * spec.q_query),
            classes: Vec::with_capacity(spec.n_way),
        };
        for (label, class) in index::sample(rng, pool, spec.n_way).into_iter().enumerate() {
            let character = chars[class / turns];
            let turn = (class % turns) as u8;
            let range = self.data.characters[character].images.clone();
            if range.len() < per_class {
                return Err(DataError::Invalid(format!(
                    "character {} has {} drawings, fewer than the {per_class} a {}-shot task with {} queries needs",
                    character,
                    range.len(),
                    spec.k_shot,
                    spec.q_query
                )));
            }
            let drawings: Vec<usize> = range.collect();
            let picked: Vec<usize> = drawings.choose_multiple(rng, per_class).copied().collect();
            for (j, &img) in picked.iter().enumerate() {
                let rotated = rotate(self.data.image(img), size, turn);
                if j < spec.k_shot {
                    task.support.extend(rotated);
                    task.support_labels.push(label as u32);
                } else {
                    task.query.extend(rotated);
                    task.query_labels.push(label as u32);
                }
            }
            task.classes.push((character, turn));
        }
        Ok(task)
    }
}

/// Rotates a square image by `turns` quarter turns counter-clockwise (as `numpy.rot90`).
pub fn rotate(img: &[u8], size: usize, turns: u8) -> Vec<u8> {
    let mut out = img.to_vec();
    for _ in 0..turns % 4 {
        let src = out.clone();
        for r in 0..size {
            for c in 0..size {
                // rot90: out[r][c] = src[c][size - 1 - r]
                out[r * size + c] = src[c * size + (size - 1 - r)];
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::omniglot;

    #[test]
    fn rotation_matches_numpy_rot90() {
        // [[1, 2], [3, 4]] -> rot90 -> [[2, 4], [1, 3]]
        assert_eq!(rotate(&[1, 2, 3, 4], 2, 1), vec![2, 4, 1, 3]);
        assert_eq!(rotate(&[1, 2, 3, 4], 2, 4), vec![1, 2, 3, 4]);
        assert_eq!(rotate(&rotate(&[1, 2, 3, 4], 2, 1), 2, 3), vec![1, 2, 3, 4]);
    }

    #[test]
    fn split_is_seeded_and_disjoint() {
        let t = omniglot::tests::fixture_root(5, 4);
        let o = omniglot::load(t.path(), 28).unwrap();
        let a = TaskSampler::new(&o, 1);
        let b = TaskSampler::new(&o, 1);
        assert_eq!(a.characters(ClassSplit::Train), b.characters(ClassSplit::Train));
        let mut all: Vec<usize> = a.characters(ClassSplit::Train).to_vec();
        all.extend(a.characters(ClassSplit::Test));
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert!(!a.characters(ClassSplit::Test).is_empty());
    }

    #[test]
    fn tasks_have_the_requested_shape_and_are_reproducible() {
        let t = omniglot::tests::fixture_root(5, 4);
        let o = omniglot::load(t.path(), 28).unwrap();
        let s = TaskSampler::new(&o, 1);
        let spec = TaskSpec { n_way: 3, k_shot: 1, q_query: 2, rotations: true };
        let t1 = s.sample(ClassSplit::Train, spec, &mut ChaCha8Rng::seed_from_u64(5)).unwrap();
        let t2 = s.sample(ClassSplit::Train, spec, &mut ChaCha8Rng::seed_from_u64(5)).unwrap();
        assert_eq!(t1.support, t2.support);
        assert_eq!(t1.support_labels, vec![0, 1, 2]);
        assert_eq!(t1.query_labels, vec![0, 0, 1, 1, 2, 2]);
        assert_eq!(t1.query.len(), 6 * 784);
        let mut classes = t1.classes.clone();
        classes.sort();
        classes.dedup();
        assert_eq!(classes.len(), 3);
        #[cfg(feature = "tensors")]
        {
            let (x, y) = t1.query_tensors(&Device::Cpu).unwrap();
            assert_eq!(x.dims(), &[6, 1, 28, 28]);
            assert_eq!(y.dims(), &[6]);
        }
        let too_many = TaskSpec { n_way: 100, ..spec };
        assert!(s.sample(ClassSplit::Test, too_many, &mut ChaCha8Rng::seed_from_u64(0)).is_err());
        let too_deep = TaskSpec { k_shot: 4, ..spec };
        assert!(s.sample(ClassSplit::Train, too_deep, &mut ChaCha8Rng::seed_from_u64(0)).is_err());
    }
}
