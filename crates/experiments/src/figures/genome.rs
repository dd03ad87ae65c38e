//! What `innate inspect --draw STEM` draws of a genome file: the first layer's developed weights
//! as images, one per neuron (for a convolutional network, its first layer's kernels), and each
//! spatial layer's gene fields at the start and in the file.

use std::path::{Path, PathBuf};

use innate_encodings::conv::{ConvLayer, ConvNet};
use innate_encodings::{GenomeFile, Mlp, Net};

use super::panels::{FieldMap, Panel, PanelGrid};
use super::plot::with_suffix;

/// Neurons of the first layer that `inspect --draw` shows.
const DRAWN_NEURONS: usize = 20;

/// `inspect --draw STEM`: the first layer's developed weights as images and each layer's gene
/// fields; returns the files written.
pub fn draw(file: &GenomeFile, net: &Net, stem: &Path) -> anyhow::Result<Vec<PathBuf>> {
    match net {
        Net::Mlp(mlp) => draw_mlp(file, mlp, stem),
        Net::Conv(conv) => {
            let mut written = draw_kernels(file, conv, stem)?;
            written.extend(draw_fields_3d(file, stem)?);
            Ok(written)
        }
    }
}

/// Genes drawn per layer of 3-D gene fields: the most strongly expressed ones.
const DRAWN_GENES: usize = 6;

/// Channels (depth slices) drawn per layer of 3-D gene fields.
const DRAWN_CHANNELS: usize = 16;

/// An S-GEM LeNet-5's 3-D gene fields, one figure per layer of neurons: a row per gene (the
/// [`DRAWN_GENES`] with the highest peak), a panel per channel, each the gene's expression over
/// that channel's rows and columns on the gene's own scale, so a field's extent in depth shows as
/// it fades along the row.
fn draw_fields_3d(file: &GenomeFile, stem: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = vec![];
    for (name, grid, x, genes) in innate_run::encoding::gem::gene_fields_3d(file)? {
        let plane = grid.height * grid.width;
        let peak = |g: usize| (0..grid.len()).map(|n| x[n * genes + g]).fold(0f32, f32::max);
        let mut order: Vec<usize> = (0..genes).collect();
        order.sort_by(|&a, &b| peak(b).total_cmp(&peak(a)));
        let rows = order
            .into_iter()
            .take(DRAWN_GENES)
            .map(|g| {
                let panels = (0..grid.channels.min(DRAWN_CHANNELS))
                    .map(|c| Panel {
                        title: format!("depth {c}"),
                        rows: grid.height,
                        cols: grid.width,
                        values: (0..plane).map(|i| x[(c * plane + i) * genes + g]).collect(),
                        scale: Some(peak(g)),
                    })
                    .collect();
                (format!("gene {g}"), panels)
            })
            .collect();
        let grid_title = format!(
            "{} {name}: {DRAWN_GENES} of {genes} genes over {}x{}x{} neurons",
            file.encoding, grid.channels, grid.height, grid.width
        );
        let path = with_suffix(stem, &format!("-fields-{}", name.replace('.', "-")));
        PanelGrid { title: grid_title, rows }.save(&path)?;
        written.push(with_suffix(stem, &format!("-fields-{}.png", name.replace('.', "-"))));
    }
    Ok(written)
}

/// The first layer's kernels of a convolutional network, one image per map (of its first input
/// channel): the shared kernel, or a locally connected layer's kernel at its middle location.
fn draw_kernels(file: &GenomeFile, net: &ConvNet, stem: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let cpu = candle_core::Device::Cpu;
    let (title, kernels): (&str, Vec<Vec<f32>>) = match net.layers.first() {
        Some(ConvLayer::Conv { weight, .. }) => {
            let (maps, _, k, _) = weight.dims4()?;
            let w = weight.to_device(&cpu)?.narrow(1, 0, 1)?.reshape((maps, k * k))?;
            ("kernels (shared)", w.to_vec2::<f32>()?)
        }
        Some(ConvLayer::Local { geometry, weight, .. }) => {
            let middle = geometry.locations() / 2;
            let k2 = geometry.kernel * geometry.kernel;
            let w = weight.to_device(&cpu)?.get(middle)?.narrow(0, 0, k2)?.t()?;
            ("kernels at the middle location (red +, blue -)", w.to_vec2::<f32>()?)
        }
        _ => anyhow::bail!("{}: the network's first layer is not a convolution", file.path.display()),
    };
    let k = (kernels.first().map_or(0, Vec::len) as f64).sqrt() as usize;
    let panels = kernels
        .into_iter()
        .enumerate()
        .map(|(i, values)| Panel { title: format!("map {i}"), rows: k, cols: k, values, scale: None })
        .collect();
    let grid = PanelGrid {
        title: format!("{}: conv1 {title}, channel 0", file.encoding),
        rows: vec![("maps".into(), panels)],
    };
    let path = with_suffix(stem, "-kernels");
    grid.save(&path)?;
    Ok(vec![with_suffix(stem, "-kernels.png")])
}

fn draw_mlp(file: &GenomeFile, net: &Mlp, stem: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let with = |suffix: &str| with_suffix(stem, suffix);
    let mut written = vec![];
    let w = net.layers[0].weight.to_device(&candle_core::Device::Cpu)?.to_vec2::<f32>()?;
    let inputs = w.first().map_or(0, Vec::len);
    let fields = innate_run::encoding::gem::gene_fields(file)?;
    // The input image's shape: the grid the input gene fields lie on, else the MNIST-like image
    // the run was trained on.
    let image = match fields.first().and_then(Option::as_ref) {
        Some((_, _, grid)) => Some((grid.rows, grid.cols)),
        None => match file.run.get("dataset").and_then(|d| d.as_str()) {
            Some("mnist" | "fashion-mnist") => Some((28, 28)),
            _ => None,
        },
    }
    .filter(|(r, c)| r * c == inputs);
    if let Some((rows, cols)) = image {
        let mut grid = PanelGrid {
            title: format!("{}: first-layer weights per neuron (red +, blue -)", file.encoding),
            rows: vec![],
        };
        // Ten neurons a row.
        for (r, chunk) in w[..w.len().min(DRAWN_NEURONS)].chunks(10).enumerate() {
            let first = 10 * r;
            let panels = chunk
                .iter()
                .enumerate()
                .map(|(i, values)| Panel {
                    title: (first + i).to_string(),
                    rows,
                    cols,
                    values: values.clone(),
                    scale: None,
                })
                .collect();
            grid.rows.push((format!("neurons {first}-{}", first + chunk.len() - 1), panels));
        }
        grid.save(&with("-weights"))?;
        written.push(with("-weights.png"));
    } else {
        tracing::warn!(
            "weights not drawn: the {inputs} inputs are not a known image grid (the genome has no input gene \
             fields, and they are not the 28x28 pixels of mnist or fashion-mnist)"
        );
    }
    for (layer, f) in fields.into_iter().enumerate() {
        if let Some((start, end, grid)) = f {
            let stem = with(&format!("-fields-layer{layer}"));
            FieldMap {
                title: format!(
                    "{}, layer {layer}: {} gene fields at the start (green) and in the file (red)",
                    file.encoding,
                    start.len()
                ),
                grid: (grid.rows, grid.cols),
                start,
                end,
                backdrop: None,
            }
            .save(&stem)?;
            written.push(with(&format!("-fields-layer{layer}.png")));
            written.push(with(&format!("-fields-layer{layer}.svg")));
        }
    }
    Ok(written)
}
