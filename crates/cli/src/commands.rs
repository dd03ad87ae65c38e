//! The commands behind `innate train | eval | inspect | data info | reproduce`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use innate_datasets::{Dataset, ImageDataset, Split, data_root, files::group};
use innate_evolution::{IntermittentConfig, LifetimeConfig};

use crate::cli::{
    Cli, Command, DataCommand, Encoding, EvalArgs, GlobalArgs, InspectArgs, Model, Strategy, TrainArgs,
    TransferArgs,
};
use crate::runs::{self, DataCache, RunConfig};

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Train(a) => train(g, &a),
        Command::Transfer(a) => transfer(g, &a),
        Command::Eval(a) => eval(g, &a),
        Command::Inspect(a) => inspect(&a),
        Command::Data(DataCommand::Info { datasets }) => data_info(g, &datasets),
        Command::Reproduce(a) => crate::reproduce::run(g, &a),
    }
}

/// Rejects `innate train` flags that the chosen encoding or strategy would ignore, and values
/// out of range, naming the flag: a run must never record a setting it did not use.
fn check_train_flags(a: &TrainArgs) -> anyhow::Result<()> {
    use Encoding::*;
    let e = a.encoding;
    let only = |flag: &str, given: bool, ok: bool, which: &str| -> anyhow::Result<()> {
        if given && !ok {
            bail!("{flag} applies only to --encoding {which}, not to --encoding {}: drop it", e.name());
        }
        Ok(())
    };
    only("--genes", a.genes.is_some(), matches!(e, Gem | Sgem | Mlsgem), "gem, sgem or mlsgem")?;
    only("--basis", a.basis.is_some(), e == Rb, "rb")?;
    only("--learn-output", a.learn_output, matches!(e, Gem | Sgem | Mlsgem), "gem, sgem or mlsgem")?;
    only("--centre-init", a.centre_init.is_some(), e.is_spatial(), "sgem or mlsgem")?;
    only("--preset", a.preset.is_some(), e == Gnet, "gnet")?;
    only("--gnet-hidden", a.gnet_hidden.is_some(), e == Gnet, "gnet")?;
    if a.hidden == Some(0) {
        bail!("--hidden 0: an MLP needs at least one hidden unit");
    }
    if a.hidden.is_some() && a.model == Model::Slp {
        bail!("--hidden applies only to --model mlp: a single-layer perceptron has no hidden layer; drop it");
    }
    for (flag, value) in
        [("--batches", Some(a.batches)), ("--batch-size", a.batch_size), ("--eval-every", Some(a.eval_every))]
    {
        if value == Some(0) {
            bail!("{flag} 0: must be at least 1");
        }
    }
    if !(a.min_delta >= 0.0 && a.min_delta.is_finite()) {
        bail!("--min-delta {}: must be a fraction of 0 or more, e.g. 0.005", a.min_delta);
    }
    if a.stop_sample == Some(0) {
        bail!(
            "--stop-sample 0: must be at least 1 test image (leave it out to decide on the whole test set)"
        );
    }
    if a.train_limit == Some(0) {
        bail!(
            "--train-limit 0: must be at least 1 training image (leave it out to use the whole training set)"
        );
    }
    if let Some(lr) = a.lr.filter(|lr| !(lr.is_finite() && *lr > 0.0)) {
        bail!("--lr {lr}: the learning rate must be a positive number, e.g. 0.01");
    }
    Ok(())
}

/// `innate train`.
pub fn train(g: &GlobalArgs, a: &TrainArgs) -> anyhow::Result<()> {
    let dataset: Dataset = a.dataset.parse()?;
    check_train_flags(a)?;
    let lr = a.lr.unwrap_or(a.encoding.default_lr());
    let lifetime = LifetimeConfig {
        batch_size: a.batch_size.unwrap_or(64),
        max_batches: a.batches,
        eval_every: a.eval_every,
        patience: a.patience,
        min_delta: a.min_delta,
        lr,
        seed: a.seed,
        stop_sample: a.stop_sample.unwrap_or(0),
        ..LifetimeConfig::default()
    };
    let intermittent = (a.strategy == Strategy::Intermittent).then(|| {
        let d = IntermittentConfig::default();
        IntermittentConfig {
            generations: a.generations,
            images_per_generation: a.images_per_generation,
            batch_size: a.batch_size.unwrap_or(d.batch_size),
            lr,
            lambda: a.lambda,
            seed: a.seed,
            develop_first: a.develop_first,
            fit: {
                let f = innate_evolution::FitConfig {
                    lr: a.fit_lr,
                    weight_epochs: a.fit_epochs,
                    ..d.fit.clone()
                };
                if a.fit_all { f.all() } else { f }
            },
            ..d
        }
    });
    if a.strategy == Strategy::Intermittent && a.encoding == Encoding::Direct {
        bail!(
            "--strategy intermittent fits a genome to trained weights; --encoding direct has no genome apart \
             from its weights: use --encoding gnet (or the default end-to-end strategy)"
        );
    }
    if let Some(c) = &intermittent {
        c.validate().context("--generations / --images-per-generation / --lambda / --lr")?;
    }
    let base = RunConfig::new(
        &dataset.to_string(),
        a.model,
        a.hidden.unwrap_or(crate::cli::DEFAULT_HIDDEN),
        a.encoding,
        a.seed,
        lifetime,
    );
    let config = RunConfig {
        centres: a.centre_init.map(Into::into).or(base.centres),
        genes: a.genes,
        basis: a.basis,
        learn_output: a.learn_output,
        bias: a.bias.map(Into::into),
        preset: a.preset,
        gnet_hidden: a.gnet_hidden.clone(),
        strategy: a.strategy,
        intermittent,
        train_limit: a.train_limit,
        ..base
    };
    config.lifetime.validate().context("--batches / --batch-size / --eval-every / --min-delta / --lr")?;
    let out = a.out.clone().unwrap_or_else(|| config.default_dir());
    if !a.overwrite && out.join("genome.safetensors").exists() {
        bail!(
            "{} already holds a trained genome: pass --overwrite to replace it, or choose another --out",
            out.display()
        );
    }
    let device = crate::device::parse(&g.device)?;
    let root = data_root(g.data_dir.as_deref());
    let m = runs::execute(&config, &root, &device, &out, &DataCache::default(), g.quiet)?;
    if let (Some(gens), Some(per)) = (m.generations.last(), m.seconds_per_generation) {
        println!(
            "{} {} on {}: best ab initio test accuracy {:.2}% at generation {} (last {:.2}%) over {} \
             generations; {} genome parameters, {} phenotype parameters ({:.0}x); {:.1} s ({:.2} s per generation)",
            m.encoding,
            m.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-"),
            m.dataset,
            100.0 * m.best_test_accuracy,
            1 + m.best_batches
                / config.intermittent.as_ref().map_or(1, |c| c.batches_per_generation().max(1)),
            100.0 * m.final_test_accuracy,
            gens.generation,
            group(m.genome_params as u64),
            group(m.phenotype_params as u64),
            m.compression,
            m.seconds,
            per
        );
        println!(
            "wrote {} and {}",
            out.join("genome.safetensors").display(),
            out.join("metrics.json").display()
        );
        return Ok(());
    }
    println!(
        "{} {} on {}: best test accuracy {:.2}% (final {:.2}%) after {} of {} batches; \
         {} genome parameters, {} phenotype parameters; {:.1} s ({:.2} s per 1,000 batches)",
        m.encoding,
        m.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-"),
        m.dataset,
        100.0 * m.best_test_accuracy,
        100.0 * m.final_test_accuracy,
        m.best_batches,
        m.batches,
        group(m.genome_params as u64),
        group(m.phenotype_params as u64),
        m.seconds,
        m.seconds_per_1000_batches
    );
    println!("wrote {} and {}", out.join("genome.safetensors").display(), out.join("metrics.json").display());
    let life = &config.lifetime;
    if still_rising(m.stopped_early, m.best_batches, m.batches, life.patience, life.eval_every) {
        tracing::info!(
            "the test accuracy was still rising when early stopping ended the run (its last gains were \
             {} or less); --patience 0 trains all {} batches",
            life.min_delta,
            life.max_batches
        );
    }
    Ok(())
}

/// Whether early stopping ended a run whose best accuracy came at one of the evaluations that
/// counted as stale: it was still improving, by no more than `--min-delta` at a time.
fn still_rising(
    stopped_early: bool,
    best_batches: usize,
    batches: usize,
    patience: usize,
    eval_every: usize,
) -> bool {
    stopped_early && best_batches + patience * eval_every > batches
}

/// `innate eval`.
pub fn eval(g: &GlobalArgs, a: &EvalArgs) -> anyhow::Result<()> {
    let device = crate::device::parse(&g.device)?;
    let file = innate_encodings::checkpoint::load(&a.genome, &device)?;
    let trained_on = file.run.get("dataset").and_then(|d| d.as_str()).map(String::from);
    let name = match (&a.dataset, &trained_on) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => {
            bail!("{}: the genome does not record its dataset; pass --dataset", a.genome.display())
        }
    };
    let dataset: Dataset = name.parse()?;
    let genome = crate::genomes::from_file(&file, &device)?;
    let root = data_root(g.data_dir.as_deref());
    let split: Split = a.split.into();
    let data = dataset.load(&root, split)?;
    let net = genome.develop()?;
    let inputs = net.layers.first().map(|l| l.weight.dims()[1]).unwrap_or(0);
    let outputs = net.layers.last().map(|l| l.weight.dims()[0]).unwrap_or(0);
    if inputs != data.image_len() || outputs != data.classes.len() {
        let [c, h, w] = data.shape;
        bail!(
            "{}: the genome's network takes {inputs} inputs and gives {outputs} classes, but {dataset} has \
             {c}x{h}x{w} = {} values per image and {} classes; evaluate it on the dataset it was trained on",
            a.genome.display(),
            data.image_len(),
            data.classes.len()
        );
    }
    let data = data.to_device(&device)?;
    let t = Instant::now();
    let acc = innate_evolution::lifetime::accuracy(&net, &data, 1000)?;
    println!(
        "{}: {} accuracy on {dataset} {} ({} images): {:.2}% ({:.2} s)",
        a.genome.display(),
        file.encoding,
        split.name(),
        group(data.len() as u64),
        100.0 * acc,
        t.elapsed().as_secs_f64()
    );
    if split == Split::Test
        && trained_on.as_deref() == Some(dataset.to_string().as_str())
        && let Some(recorded) = file.metrics.get("best_test_accuracy").and_then(|v| v.as_f64())
    {
        let agrees = (recorded - acc).abs() < 1e-9;
        println!(
            "recorded at training time: {:.2}% ({})",
            100.0 * recorded,
            if agrees { "identical" } else { "differs: other data files or another device?" }
        );
    }
    Ok(())
}

/// `innate inspect`.
pub fn inspect(a: &InspectArgs) -> anyhow::Result<()> {
    let file = innate_encodings::checkpoint::load(&a.genome, &candle_core::Device::Cpu)?;
    if !a.json {
        // What the metadata says comes first, so that a file this version cannot rebuild (another
        // version wrote it, or it was edited) can still be read before the error.
        println!("genome file   {}", a.genome.display());
        println!("encoding      {}", file.encoding);
        println!("configuration {}", file.genome);
        let mut names: Vec<_> = file.tensors.iter().collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        for (name, t) in names {
            println!("  tensor {name:<20} {:?}", t.dims());
        }
        if let Some(d) = file.run.get("dataset") {
            println!("trained on    {d} (seed {})", file.run.get("seed").unwrap_or(&serde_json::Value::Null));
        }
        if let Some(acc) = file.metrics.get("best_test_accuracy").and_then(|v| v.as_f64()) {
            println!("best test acc {:.2}%", 100.0 * acc);
        }
        println!("written by    innate {}", file.version);
    }
    // The counts come from the genome rebuilt from the file (its tensors checked against it), not
    // from the metadata's record of them, which must agree. The fixed count is left out: for the
    // random basis it includes how the basis is stored, which may change between versions.
    let genome = crate::genomes::from_file(&file, &candle_core::Device::Cpu)?;
    let p = genome.params();
    if (p.learned, p.phenotype) != (file.params.learned, file.params.phenotype) {
        bail!(
            "{}: its metadata records {} learned and {} phenotype parameters, but the genome it describes has \
             {} and {}: the metadata was edited or the file is damaged (written by innate {})",
            a.genome.display(),
            file.params.learned,
            file.params.phenotype,
            p.learned,
            p.phenotype,
            file.version
        );
    }
    let net = genome.develop()?;
    let weights: usize = net.layers.iter().map(|l| l.weight.elem_count()).sum();
    let of_weights = weights as f64 / p.learned.max(1) as f64;
    if a.json {
        let v = serde_json::json!({
            "encoding": file.encoding,
            "genome": file.genome,
            "params": p,
            "compression": p.compression(),
            "phenotype_weights": weights,
            "compression_of_weights": of_weights,
            "run": file.run,
            "metrics": file.metrics,
            "innate_version": file.version,
            "tensors": file.tensors.iter().map(|(k, t)| (k.clone(), t.dims().to_vec())).collect::<std::collections::BTreeMap<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "genome params {} learned, {} fixed (not counted)",
        group(p.learned as u64),
        group(p.fixed as u64)
    );
    println!(
        "phenotype     {} parameters ({} weights and {} biases)",
        group(p.phenotype as u64),
        group(weights as u64),
        group((p.phenotype - weights.min(p.phenotype)) as u64)
    );
    println!(
        "compression   {:.1}x ({:.4}% of the phenotype's parameters)",
        p.compression(),
        p.percent_of_phenotype()
    );
    println!(
        "              {:.1}x ({:.4}% of its weights alone, as the papers' figures count)",
        of_weights,
        100.0 / of_weights
    );
    if let Some(stem) = &a.draw {
        for path in draw(&file, &net, stem)? {
            println!("drew          {}", path.display());
        }
    }
    Ok(())
}

/// Neurons of the first layer that `inspect --draw` shows.
const DRAWN_NEURONS: usize = 20;

/// `inspect --draw STEM`: the first layer's developed weights as images and each layer's gene
/// fields; returns the files written.
fn draw(
    file: &innate_encodings::GenomeFile,
    net: &innate_encodings::Mlp,
    stem: &Path,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    use crate::panels::{FieldMap, Panel, PanelGrid};
    let with = |suffix: &str| crate::plot::with_suffix(stem, suffix);
    let mut written = vec![];
    let w = net.layers[0].weight.to_device(&candle_core::Device::Cpu)?.to_vec2::<f32>()?;
    let inputs = w.first().map_or(0, Vec::len);
    let fields = crate::genomes::gene_fields(file)?;
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

/// `innate data info`.
pub fn data_info(g: &GlobalArgs, names: &[String]) -> anyhow::Result<()> {
    let root = data_root(g.data_dir.as_deref());
    let datasets: Vec<Dataset> = if names.is_empty() {
        let found: Vec<Dataset> = Dataset::ALL
            .into_iter()
            .filter(|d| root.join(d.folder()).is_dir())
            .filter(|d| {
                *d != Dataset::Cifar10Jpeg
                    || root.join("cifar-10").join("cifar-10-jpeg.tar.gz").exists()
                    || root.join("cifar-10").join("cifar-10-jpeg").is_dir()
            })
            .collect();
        if found.is_empty() {
            bail!(
                "no dataset folders under the data root {}: run `cargo xtask download`, or pass \
                 --data-dir / set INNATE_DATA to a folder that holds them",
                root.display()
            );
        }
        found
    } else {
        names.iter().map(|n| n.parse()).collect::<Result<_, _>>()?
    };
    println!("data root: {}", root.display());
    let mut failed = 0;
    for d in datasets {
        println!("\n== {d}");
        if let Err(e) = describe(&root, &d) {
            failed += 1;
            println!("  ERROR: {e:#}");
        }
    }
    if failed > 0 {
        bail!("{failed} dataset(s) failed their checks (see above)");
    }
    Ok(())
}

fn describe(root: &Path, d: &Dataset) -> anyhow::Result<()> {
    if *d == Dataset::Omniglot {
        let t = Instant::now();
        let o = innate_datasets::omniglot::load(root, 28)?;
        let secs = t.elapsed().as_secs_f64();
        print_sources(&o.sources);
        for (bg, set) in [(true, "background"), (false, "evaluation")] {
            let chars: Vec<_> = o.characters.iter().filter(|c| c.background == bg).collect();
            let images: usize = chars.iter().map(|c| c.images.len()).sum();
            let (lo, hi) = chars
                .iter()
                .fold((usize::MAX, 0), |(lo, hi), c| (lo.min(c.images.len()), hi.max(c.images.len())));
            let mut alphabets: Vec<&str> = chars.iter().map(|c| c.alphabet.as_str()).collect();
            alphabets.dedup();
            println!(
                "  {set:<10}: {} alphabets, {} characters, {} images ({lo}-{hi} drawings per character)",
                alphabets.len(),
                group(chars.len() as u64),
                group(images as u64)
            );
        }
        let sampler = innate_datasets::TaskSampler::new(&o, 1);
        println!(
            "  meta-learning split (seed 1): {} training characters (x4 rotations), {} test characters",
            sampler.characters(innate_datasets::ClassSplit::Train).len(),
            sampler.characters(innate_datasets::ClassSplit::Test).len()
        );
        println!("  images resized to 28x28 (Lanczos-3), ink = 255; loaded and checked in {secs:.2} s");
        return Ok(());
    }
    for split in [Split::Train, Split::Test] {
        let t = Instant::now();
        let data = d.load(root, split).with_context(|| format!("{d} {}", split.name()))?;
        let secs = t.elapsed().as_secs_f64();
        print_sources(&data.sources);
        print_split(&data, split, secs);
    }
    Ok(())
}

fn print_sources(sources: &[innate_datasets::SourceFile]) {
    for s in sources {
        println!("  file {}\n       {}", s.path.display(), s.provenance);
    }
}

fn print_split(data: &ImageDataset, split: Split, secs: f64) {
    let counts = data.class_counts();
    let [c, h, w] = data.shape;
    println!(
        "  {:<5}: {} images of {c}x{h}x{w}, {} classes, loaded and checked in {secs:.3} s",
        split.name(),
        group(data.len() as u64),
        data.classes.len()
    );
    if data.classes.len() <= 20 {
        let parts: Vec<String> = data
            .classes
            .iter()
            .zip(&counts)
            .map(|(name, n)| format!("{name}: {n} ({:.1}%)", 100.0 * *n as f64 / data.len().max(1) as f64))
            .collect();
        println!("         {}", parts.join(", "));
    } else {
        let (lo, hi) = (counts.iter().min().unwrap_or(&0), counts.iter().max().unwrap_or(&0));
        println!("         {lo}-{hi} images per class");
    }
}

/// What `innate transfer` writes as `transfer.json`: both learning curves side by side.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TransferReport {
    /// The genome that initialised the innate network.
    pub from: std::path::PathBuf,
    /// The dataset both networks learned.
    pub dataset: String,
    /// Test accuracy of the innate network before training.
    pub innate_start: f64,
    /// Test accuracy of the randomly initialised network before training.
    pub naive_start: f64,
    /// Best test accuracy of the innate network.
    pub innate_best: f64,
    /// Best test accuracy of the naive network.
    pub naive_best: f64,
    /// Innate network: (batches, test accuracy) at every evaluation.
    pub innate_curve: Vec<innate_evolution::EvalPoint>,
    /// Naive network: (batches, test accuracy) at every evaluation.
    pub naive_curve: Vec<innate_evolution::EvalPoint>,
}

/// The two runs of a transfer test: a network initialised from the genome at `from` and a
/// randomly initialised one, both learning `dataset` with the same seed and batch order.
pub fn transfer_runs(
    from: &Path,
    dataset: &str,
    sizes: &[usize],
    lifetime: LifetimeConfig,
    seed: u64,
) -> anyhow::Result<[(String, RunConfig); 2]> {
    let (model, hidden) = match sizes {
        [_, _] => (Model::Slp, crate::cli::DEFAULT_HIDDEN),
        [_, h, _] => (Model::Mlp, *h),
        _ => bail!(
            "{}: its network has {} layers; transfer handles single-layer perceptrons and MLPs with one \
             hidden layer",
            from.display(),
            sizes.len().saturating_sub(1)
        ),
    };
    let naive = RunConfig::new(dataset, model, hidden, Encoding::Direct, seed, lifetime);
    let innate = RunConfig { init_from: Some(from.to_path_buf()), ..naive.clone() };
    Ok([("innate".to_string(), innate), ("naive".to_string(), naive)])
}

/// `innate transfer`.
pub fn transfer(g: &GlobalArgs, a: &TransferArgs) -> anyhow::Result<()> {
    let dataset: Dataset = a.dataset.parse()?;
    let device = crate::device::parse(&g.device)?;
    let file = innate_encodings::checkpoint::load(&a.from, &device)?;
    let net = crate::genomes::from_file(&file, &device)?.develop()?;
    let mut sizes: Vec<usize> = net.layers.iter().map(|l| l.weight.dims()[1]).collect();
    sizes.extend(net.layers.last().map(|l| l.weight.dims()[0]));
    let lifetime = LifetimeConfig {
        batch_size: a.batch_size,
        max_batches: a.batches,
        eval_every: a.eval_every,
        patience: 0,
        lr: a.lr,
        seed: a.seed,
        ..LifetimeConfig::default()
    };
    lifetime.validate().context("--batches / --eval-every / --batch-size / --lr")?;
    let out = a.out.clone().unwrap_or_else(|| {
        a.from.parent().unwrap_or(Path::new(".")).join(format!("transfer-{}-seed{}", dataset, a.seed))
    });
    if !a.overwrite && out.join("transfer.json").exists() {
        bail!(
            "{} already holds a transfer test: pass --overwrite to replace it, or choose another --out",
            out.display()
        );
    }
    let root = data_root(g.data_dir.as_deref());
    let cache = DataCache::default();
    let mut results = Vec::new();
    for (name, config) in transfer_runs(&a.from, &dataset.to_string(), &sizes, lifetime, a.seed)? {
        let m = runs::execute(&config, &root, &device, &out.join(&name), &cache, g.quiet)?;
        results.push(m);
    }
    let start = |m: &runs::Metrics| m.curve.first().map_or(0.0, |p| p.test_accuracy);
    let report = TransferReport {
        from: a.from.clone(),
        dataset: dataset.to_string(),
        innate_start: start(&results[0]),
        naive_start: start(&results[1]),
        innate_best: results[0].best_test_accuracy,
        naive_best: results[1].best_test_accuracy,
        innate_curve: results[0].curve.clone(),
        naive_curve: results[1].curve.clone(),
    };
    innate_encodings::checkpoint::write_atomic(
        &out.join("transfer.json"),
        serde_json::to_string_pretty(&report)?.as_bytes(),
    )?;
    println!("{dataset}, {} batches of {}, seed {}:", a.batches, a.batch_size, a.seed);
    println!("  batches   innate   naive");
    for (i, n) in report.innate_curve.iter().zip(&report.naive_curve) {
        println!(
            "  {:>7}   {:>5.2}%   {:>5.2}%",
            i.batches,
            100.0 * i.test_accuracy,
            100.0 * n.test_accuracy
        );
    }
    println!(
        "best: innate {:.2}%, naive {:.2}%; wrote {}",
        100.0 * report.innate_best,
        100.0 * report.naive_best,
        out.join("transfer.json").display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::still_rising;

    #[test]
    fn still_rising_only_when_the_best_came_after_the_last_accepted_gain() {
        // Stopped at 10,000 after two stale evaluations (9,000 and 10,000).
        assert!(still_rising(true, 10_000, 10_000, 2, 1000));
        assert!(still_rising(true, 9_000, 10_000, 2, 1000));
        assert!(!still_rising(true, 8_000, 10_000, 2, 1000));
        // Runs that used their whole budget are not flagged.
        assert!(!still_rising(false, 30_000, 30_000, 2, 1000));
    }
}
