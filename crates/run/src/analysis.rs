//! Analyses of a developed network: the modularity of its wiring (the developmental-priors
//! paper's Fig. S6) and the within- and between-class distances of its hidden representations
//! (Fig. S7).
//!
//! **Modularity.** The paper cites its reference 35 for the rise and fall of an ANN's modularity
//! over training and gives no formula. We take Newman's modularity `Q` of the developed network
//! read as an undirected weighted graph, the measure of the network-neuroscience studies of ANN
//! training that report that rise and fall (Shine et al. 2021, "Nonlinear reconfiguration of
//! network edges, topology and information content during an artificial learning task"): every
//! neuron of every layer is a node, every weight `w` an edge of weight `|w|`, biases are left out;
//! the partition is the best one the Louvain method finds (nodes visited in index order, so the
//! result is deterministic):
//!
//! ```text
//! Q = Σ_c [ A_in(c) / 2m − (k_c / 2m)² ]
//! ```
//!
//! with `A_in(c)` the weight inside community `c` counted from both ends, `k_c` the summed
//! degree of its nodes and `2m` the summed degree of all nodes. (Filan et al.'s "clusterability",
//! the n-cut of a spectral clustering, is the other measure in that literature; it is not built.)
//!
//! **Class distances.** The last hidden layer's activations (after its ReLU) for a few-shot
//! task's images, support and query together, by the network as developed (before the inner loop
//! adapts it): within = the mean Euclidean distance between two images of the same class, between
//! = the mean distance between two class means; each averaged over the tasks.
//!
//! ```
//! use innate_run::analysis::louvain_modularity;
//! // Two triangles joined by one light edge: Louvain finds the triangles.
//! let edges = [(0, 1, 1.0), (1, 2, 1.0), (0, 2, 1.0), (3, 4, 1.0), (4, 5, 1.0), (3, 5, 1.0), (2, 3, 0.1)];
//! let (q, communities) = louvain_modularity(6, &edges);
//! assert_eq!(communities, [0, 0, 0, 1, 1, 1]);
//! assert!((q - 0.4836).abs() < 1e-3, "{q}");
//! ```

use candle_core::{DType, Device, Module, Tensor};
use innate_datasets::Task;
use innate_encodings::{Mlp, Net};
use serde::{Deserialize, Serialize};

use crate::error::{Result, config as config_error};

/// Newman's modularity of the best partition the Louvain method finds for the undirected graph
/// of `n` nodes and `edges` `(a, b, weight)` (weights non-negative; an edge listed once), and the
/// community of each node (numbered by first appearance).
pub fn louvain_modularity(n: usize, edges: &[(usize, usize, f64)]) -> (f64, Vec<usize>) {
    let graph = Graph::from_edges(n, edges);
    let mut membership: Vec<usize> = (0..n).collect();
    let mut level = graph.clone();
    loop {
        let (moved, communities) = level.one_level();
        if !moved {
            break;
        }
        for c in membership.iter_mut() {
            *c = communities[*c];
        }
        level = level.aggregate(&communities);
    }
    // Number the communities by first appearance.
    let mut names = vec![usize::MAX; n];
    let mut next = 0;
    for c in membership.iter_mut() {
        if names[*c] == usize::MAX {
            names[*c] = next;
            next += 1;
        }
        *c = names[*c];
    }
    (graph.modularity(&membership), membership)
}

/// A symmetric weighted graph as adjacency lists (a self-loop's weight counted from both ends).
#[derive(Clone)]
struct Graph {
    adjacency: Vec<Vec<(usize, f64)>>,
    degree: Vec<f64>,
    total: f64,
}

impl Graph {
    fn from_edges(n: usize, edges: &[(usize, usize, f64)]) -> Self {
        let mut adjacency = vec![Vec::new(); n];
        for &(a, b, w) in edges {
            adjacency[a].push((b, w));
            if a != b {
                adjacency[b].push((a, w));
            } else {
                adjacency[a].push((a, w));
            }
        }
        Self::new(adjacency)
    }

    fn new(adjacency: Vec<Vec<(usize, f64)>>) -> Self {
        let degree: Vec<f64> = adjacency.iter().map(|a| a.iter().map(|e| e.1).sum()).collect();
        let total = degree.iter().sum();
        Self { adjacency, degree, total }
    }

    /// Local moving: each node in turn to the neighbouring community that gains the most
    /// modularity, until a sweep moves none. Whether any node moved, and each node's community
    /// (renumbered 0..).
    fn one_level(&self) -> (bool, Vec<usize>) {
        let n = self.adjacency.len();
        let mut community: Vec<usize> = (0..n).collect();
        let mut tot = self.degree.clone();
        let mut to = vec![0.0f64; n];
        let mut touched: Vec<usize> = Vec::new();
        let mut moved_any = false;
        if self.total <= 0.0 {
            return (false, community);
        }
        loop {
            let mut moved = false;
            for i in 0..n {
                let (c, k) = (community[i], self.degree[i]);
                for &(j, w) in &self.adjacency[i] {
                    if j != i {
                        if to[community[j]] == 0.0 {
                            touched.push(community[j]);
                        }
                        to[community[j]] += w;
                    }
                }
                tot[c] -= k;
                // Gain of joining community d, up to a constant factor: to[d] - tot[d] k / 2m.
                let gain = |d: usize| to[d] - tot[d] * k / self.total;
                let (mut best, mut best_gain) = (c, gain(c));
                for &d in &touched {
                    let g = gain(d);
                    if g > best_gain + 1e-12 {
                        (best, best_gain) = (d, g);
                    }
                }
                tot[best] += k;
                if best != c {
                    community[i] = best;
                    moved = true;
                }
                for &d in &touched {
                    to[d] = 0.0;
                }
                to[c] = 0.0;
                touched.clear();
            }
            if !moved {
                break;
            }
            moved_any = true;
        }
        let mut names = vec![usize::MAX; n];
        let mut next = 0;
        for c in community.iter_mut() {
            if names[*c] == usize::MAX {
                names[*c] = next;
                next += 1;
            }
            *c = names[*c];
        }
        (moved_any, community)
    }

    /// The graph of communities: one node per community, the weights between them summed.
    fn aggregate(&self, community: &[usize]) -> Self {
        let m = community.iter().max().map_or(0, |c| c + 1);
        let mut weights: Vec<std::collections::BTreeMap<usize, f64>> = vec![Default::default(); m];
        for (i, edges) in self.adjacency.iter().enumerate() {
            for &(j, w) in edges {
                *weights[community[i]].entry(community[j]).or_insert(0.0) += w;
            }
        }
        Self::new(weights.into_iter().map(|w| w.into_iter().collect()).collect())
    }

    fn modularity(&self, community: &[usize]) -> f64 {
        if self.total <= 0.0 {
            return 0.0;
        }
        let m = community.iter().max().map_or(0, |c| c + 1);
        let (mut inside, mut tot) = (vec![0.0; m], vec![0.0; m]);
        for (i, edges) in self.adjacency.iter().enumerate() {
            tot[community[i]] += self.degree[i];
            for &(j, w) in edges {
                if community[i] == community[j] {
                    inside[community[i]] += w;
                }
            }
        }
        inside.iter().zip(&tot).map(|(a, k)| a / self.total - (k / self.total).powi(2)).sum()
    }
}

fn mlp_of<'a>(net: &'a Net, what: &str) -> Result<&'a Mlp> {
    match net.as_mlp() {
        Some(m) => Ok(m),
        None => config_error(format!("{what} is measured on MLPs; this network is convolutional")),
    }
}

/// Modularity `Q` of a developed MLP's wiring (see the module docs), and its number of
/// communities.
pub fn modularity(net: &Net) -> Result<(f64, usize)> {
    let mlp = mlp_of(net, "modularity")?;
    let mut edges = Vec::new();
    let mut offset = 0;
    for layer in &mlp.layers {
        let w = layer.weight.to_device(&Device::Cpu)?.to_dtype(DType::F32)?;
        let (outputs, inputs) = w.dims2()?;
        let w = w.to_vec2::<f32>()?;
        for (o, row) in w.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                if *v != 0.0 {
                    edges.push((offset + i, offset + inputs + o, v.abs() as f64));
                }
            }
        }
        let _ = outputs;
        offset += inputs;
    }
    let nodes = offset + mlp.layers.last().map_or(0, |l| l.weight.dims()[0]);
    let (q, communities) = louvain_modularity(nodes, &edges);
    Ok((q, communities.iter().max().map_or(0, |c| c + 1)))
}

/// Within- and between-class distances of a network's last hidden representation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ClassDistances {
    /// Mean distance between two images of the same class.
    pub within: f64,
    /// Mean distance between two class means.
    pub between: f64,
}

/// The last hidden layer's activations of `mlp` for `x`.
fn last_hidden(mlp: &Mlp, x: &Tensor) -> Result<Tensor> {
    let mut h = x.flatten_from(1)?;
    for layer in &mlp.layers[..mlp.layers.len() - 1] {
        h = layer.forward(&h)?.relu()?;
    }
    Ok(h)
}

/// Mean Euclidean distance between the rows of `a` and those of `b` (pairs of a row with itself
/// left out when `same`).
fn mean_distance(a: &[Vec<f32>], b: &[Vec<f32>], same: bool) -> Option<f64> {
    let (mut sum, mut count) = (0.0, 0usize);
    for (i, x) in a.iter().enumerate() {
        for (j, y) in b.iter().enumerate() {
            if same && j <= i {
                continue;
            }
            sum += x.iter().zip(y).map(|(p, q)| ((p - q) as f64).powi(2)).sum::<f64>().sqrt();
            count += 1;
        }
    }
    (count > 0).then(|| sum / count as f64)
}

/// Within- and between-class distances (see the module docs) of the developed MLP `net`'s last
/// hidden representation of `tasks`' images, averaged over the tasks.
pub fn class_distances(net: &Net, tasks: &[Task], device: &Device) -> Result<ClassDistances> {
    let mlp = mlp_of(net, "the hidden representation's class distances")?;
    if mlp.layers.len() < 2 {
        return config_error(
            "class distances need a hidden layer; this network is a single-layer perceptron",
        );
    }
    let (mut within, mut between) = (Vec::new(), Vec::new());
    for task in tasks {
        let (s, sl) = task.support_tensors(device)?;
        let (q, ql) = task.query_tensors(device)?;
        let h = last_hidden(mlp, &Tensor::cat(&[s, q], 0)?)?.to_device(&Device::Cpu)?.to_vec2::<f32>()?;
        let labels: Vec<u32> = [sl.to_vec1::<u32>()?, ql.to_vec1::<u32>()?].concat();
        let classes = labels.iter().max().map_or(0, |c| c + 1) as usize;
        let mut by_class: Vec<Vec<Vec<f32>>> = vec![Vec::new(); classes];
        for (row, &l) in h.into_iter().zip(&labels) {
            by_class[l as usize].push(row);
        }
        let w: Vec<f64> = by_class.iter().filter_map(|c| mean_distance(c, c, true)).collect();
        if !w.is_empty() {
            within.push(w.iter().sum::<f64>() / w.len() as f64);
        }
        let means: Vec<Vec<f32>> = by_class
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| {
                let mut m = vec![0.0f32; c[0].len()];
                for row in c {
                    for (a, v) in m.iter_mut().zip(row) {
                        *a += v / c.len() as f32;
                    }
                }
                m
            })
            .collect();
        if let Some(b) = mean_distance(&means, &means, true) {
            between.push(b);
        }
    }
    let mean = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    Ok(ClassDistances { within: mean(&within), between: mean(&between) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use innate_encodings::phenotype::Dense;

    #[test]
    fn a_block_diagonal_network_is_modular_and_a_uniform_one_is_not() {
        let dense = |w: Vec<f32>, o, i| Dense {
            weight: Tensor::from_vec(w, (o, i), &Device::Cpu).unwrap(),
            bias: None,
        };
        // 4 inputs -> 4 hidden -> 2 outputs, wired as two separate halves.
        let blocks = Mlp {
            layers: vec![
                dense(vec![1., 1., 0., 0., 1., 1., 0., 0., 0., 0., 1., 1., 0., 0., 1., 1.], 4, 4),
                dense(vec![1., 1., 0., 0., 0., 0., 1., 1.], 2, 4),
            ],
        };
        let (q, c) = modularity(&Net::Mlp(blocks)).unwrap();
        assert_eq!(c, 2);
        assert!((q - 0.5).abs() < 1e-9, "{q}");
        let uniform = Mlp { layers: vec![dense(vec![1.0; 16], 4, 4), dense(vec![1.0; 8], 2, 4)] };
        let (q, _) = modularity(&Net::Mlp(uniform)).unwrap();
        assert!(q < 0.2, "{q}");
    }

    #[test]
    fn modularity_of_one_partition_matches_the_formula() {
        // A path 0-1-2-3 split as {0,1}, {2,3}: 2m = 6, inside 2 + 2, degrees 3 + 3.
        let g = Graph::from_edges(4, &[(0, 1, 1.0), (1, 2, 1.0), (2, 3, 1.0)]);
        let q = g.modularity(&[0, 0, 1, 1]);
        assert!((q - (2.0 * (2.0 / 6.0 - 0.25))).abs() < 1e-12, "{q}");
    }
}
