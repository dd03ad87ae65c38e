//! The commands behind `innate train | transfer | eval | inspect | data info | reproduce`: each
//! calls the libraries and prints what they return.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use innate_datasets::{Dataset, ImageDataset, Split, data_root, files::group};
use innate_run::{DataCache, RunEnv};

use crate::cli::{
    Cli, Command, DataCommand, EvalArgs, GlobalArgs, InspectArgs, MetaArgs, PullArgs, PushArgs,
    ReproduceArgs, SplitArg, TrainArgs, TransferArgs,
};

/// Runs the parsed command.
pub fn dispatch(cli: Cli) -> anyhow::Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Train(a) => train(g, &a),
        Command::Meta(a) => meta(g, &a),
        Command::Transfer(a) => transfer(g, &a),
        Command::Eval(a) => eval(g, &a),
        Command::Inspect(a) => inspect(g, &a),
        Command::Push(a) => push(g, &a),
        Command::Pull(a) => pull(g, &a),
        Command::Data(DataCommand::Info { datasets }) => data_info(g, &datasets),
        Command::Reproduce(a) => reproduce(g, &a),
    }
}

/// `innate train`.
pub fn train(g: &GlobalArgs, a: &TrainArgs) -> anyhow::Result<()> {
    let device = innate_run::device::parse(&g.device)?;
    let root = data_root(g.data_dir.as_deref());
    let env = RunEnv { root: &root, device: &device, cache: &DataCache::default() };
    if let Some(seeds) = &a.seeds {
        return train_seeds(g, a, &env, seeds);
    }
    let (m, out) = if let Some(dir) = &a.resume {
        if a.out.as_ref().is_some_and(|o| o != dir) {
            bail!("--resume {} goes on in that folder: drop --out", dir.display());
        }
        (innate_run::execute::resume(dir, &env, g.quiet)?, dir.clone())
    } else {
        let config = a.run_config()?;
        let out = a.out.clone().unwrap_or_else(|| config.default_dir());
        if !a.overwrite && out.join("genome.safetensors").exists() {
            bail!(
                "{} already holds a trained genome: pass --overwrite to replace it, or choose another --out",
                out.display()
            );
        }
        if !a.overwrite && out.join(innate_run::resume::CHECKPOINT).exists() {
            bail!(
                "{} holds the checkpoint of an interrupted run: --resume {} goes on with it, --overwrite \
                 starts again and replaces it, or choose another --out",
                out.display(),
                out.display()
            );
        }
        (innate_run::execute(&config, &env, &out, g.quiet)?, out)
    };
    let config = m.config.clone();
    let r = &m.report;
    if let (Some(gens), Some(per)) = (r.generations.last(), r.seconds_per_generation) {
        println!(
            "{} {} on {}: best ab initio test accuracy {:.2}% at generation {} (last {:.2}%) over {} \
             generations; {} genome parameters, {} phenotype parameters ({:.0}x); {:.1} s ({:.2} s per generation)",
            m.encoding,
            m.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-"),
            m.dataset,
            100.0 * r.best_test_accuracy,
            1 + r.best_batches
                / config
                    .strategy
                    .intermittent()
                    .map_or(1, |c| c.batches_per_generation(m.train_images).max(1)),
            100.0 * r.final_test_accuracy,
            gens.generation,
            group(m.genome_params as u64),
            group(m.phenotype_params as u64),
            m.compression,
            r.seconds,
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
        100.0 * r.best_test_accuracy,
        100.0 * r.final_test_accuracy,
        r.best_batches,
        r.batches,
        group(m.genome_params as u64),
        group(m.phenotype_params as u64),
        r.seconds,
        r.seconds_per_1000_batches
    );
    println!("wrote {} and {}", out.join("genome.safetensors").display(), out.join("metrics.json").display());
    let life = config.strategy.lifetime().map(|l| l.in_batches(m.train_images));
    if let Some(life) = config.strategy.lifetime().filter(|l| l.epochs > 0) {
        println!(
            "{:.1} s of training per epoch ({} batches of {})",
            r.seconds_per_1000_batches * life.batches_per_epoch(m.train_images) as f64 / 1000.0,
            life.batches_per_epoch(m.train_images),
            life.batch_size
        );
    }
    if let Some(life) = life
        && still_rising(r.stopped_early, r.best_batches, r.batches, life.patience, life.eval_every)
    {
        tracing::info!(
            "the test accuracy was still rising when early stopping ended the run (its last gains were \
             {} or less); --patience 0 trains all {} batches",
            life.min_delta,
            life.max_batches
        );
    }
    Ok(())
}

/// `innate train --seeds LIST`: a run per seed, as one population where they can share one.
fn train_seeds(g: &GlobalArgs, a: &TrainArgs, env: &RunEnv<'_>, seeds: &str) -> anyhow::Result<()> {
    let base = a.run_config()?;
    let seeds = crate::convert::number_list(seeds, "--seeds")?;
    let configs: Vec<innate_run::RunConfig> = seeds.iter().map(|&s| base.with_seed(s as u64)).collect();
    let outs: Vec<PathBuf> = configs
        .iter()
        .map(|c| match &a.out {
            Some(dir) => dir.join(format!("seed{}", c.seed)),
            None => c.default_dir(),
        })
        .collect();
    for out in &outs {
        if !a.overwrite
            && (out.join("genome.safetensors").exists() || out.join(innate_run::resume::CHECKPOINT).exists())
        {
            bail!(
                "{} already holds a trained genome or a checkpoint: pass --overwrite to replace the runs, or \
                 choose another --out",
                out.display()
            );
        }
    }
    let start = std::time::Instant::now();
    let results: Vec<innate_run::Result<innate_run::Metrics>> =
        if !a.one_at_a_time && innate_run::population_key(&base).is_some() {
            innate_run::execute_population(&configs, env, &outs, g.quiet)?
        } else {
            configs.iter().zip(&outs).map(|(c, out)| innate_run::execute(c, env, out, g.quiet)).collect()
        };
    let mut best = Vec::new();
    for (out, r) in outs.iter().zip(results) {
        match r {
            Ok(m) => {
                let r = &m.report;
                println!(
                    "seed {}: best test accuracy {:.2}% after {} of {} batches ({:.2} s per 1,000 batches) -> {}",
                    m.seed,
                    100.0 * r.best_test_accuracy,
                    r.best_batches,
                    r.batches,
                    r.seconds_per_1000_batches,
                    out.display()
                );
                best.push(100.0 * r.best_test_accuracy);
            }
            Err(e) => println!("{}: {e}", out.display()),
        }
    }
    let n = best.len() as f64;
    let mean = best.iter().sum::<f64>() / n.max(1.0);
    let sd = (best.iter().map(|b| (b - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0)).sqrt();
    println!(
        "{} of {} runs finished: best test accuracy {mean:.2} ± {sd:.2}% (mean ± sd); {:.1} s in all",
        best.len(),
        outs.len(),
        start.elapsed().as_secs_f64()
    );
    if best.len() < outs.len() {
        bail!("{} of the {} runs stopped without a result (above)", outs.len() - best.len(), outs.len());
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
    let device = innate_run::device::parse(&g.device)?;
    let genome = innate_run::load(&a.genome, &device)?;
    if let Some(meta) = genome.run().and_then(|c| c.strategy.meta().cloned()) {
        if a.dataset.is_some() || a.split != SplitArg::Test {
            bail!(
                "{}: a meta-trained genome is evaluated on its run's held-out few-shot tasks; drop --dataset and --split",
                a.genome.display()
            );
        }
        return eval_meta(g, a, &device, &genome, &meta);
    }
    let trained_on = genome.dataset().map(String::from);
    let name = match (&a.dataset, &trained_on) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => {
            bail!("{}: the genome does not record its dataset; pass --dataset", a.genome.display())
        }
    };
    let dataset: Dataset = name.parse()?;
    let root = data_root(g.data_dir.as_deref());
    let split: Split = a.split.into();
    let data = dataset.load(&root, split)?;
    let net = genome.develop()?;
    innate_run::load::check_fits(&a.genome, &net, &data, &dataset.to_string())?;
    let data = genome.input(&data.to_device(&device)?)?;
    let t = Instant::now();
    let acc = innate_run::load::accuracy(&net, &data)?;
    println!(
        "{}: {} accuracy on {dataset} {} ({} images): {:.2}% ({:.2} s)",
        a.genome.display(),
        genome.file.encoding,
        split.name(),
        group(data.len() as u64),
        100.0 * acc,
        t.elapsed().as_secs_f64()
    );
    if split == Split::Test
        && trained_on.as_deref() == Some(dataset.to_string().as_str())
        && let Some(recorded) = genome.recorded_accuracy()
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

/// `innate meta`.
pub fn meta(g: &GlobalArgs, a: &MetaArgs) -> anyhow::Result<()> {
    let device = innate_run::device::parse(&g.device)?;
    let root = data_root(g.data_dir.as_deref());
    let env = RunEnv { root: &root, device: &device, cache: &DataCache::default() };
    let (m, out) = if let Some(dir) = &a.resume {
        if a.out.as_ref().is_some_and(|o| o != dir) {
            bail!("--resume {} goes on in that folder: drop --out", dir.display());
        }
        (innate_run::meta::resume(dir, a.meta_batches, &env, g.quiet)?, dir.clone())
    } else {
        let config = a.run_config()?;
        let out = a.out.clone().unwrap_or_else(|| config.default_dir());
        if !a.overwrite && out.join("genome.safetensors").exists() {
            bail!(
                "{} already holds a trained genome: pass --overwrite to replace it, --resume {} to go on \
                 with it, or choose another --out",
                out.display(),
                out.display()
            );
        }
        (innate_run::execute(&config, &env, &out, g.quiet)?, out)
    };
    let r = &m.report;
    let ci = r.curve.iter().find(|p| p.batches == r.best_batches).and_then(|p| p.test_ci95).unwrap_or(0.0);
    println!(
        "{} {} meta-trained on {}: best held-out accuracy {:.2} ± {:.2}% after {} of {} meta-batches (final \
         {:.2}%); {} genome parameters, {:.1}x fewer than the network's {} weights; {:.1} s ({:.1} s per 1,000 \
         meta-batches)",
        m.encoding,
        m.sizes.iter().map(|s| s.to_string()).collect::<Vec<_>>().join("-"),
        m.dataset,
        100.0 * r.best_test_accuracy,
        100.0 * ci,
        r.best_batches,
        r.batches,
        100.0 * r.final_test_accuracy,
        group(m.genome_params as u64),
        m.phenotype_weights as f64 / m.genome_params.max(1) as f64,
        group(m.phenotype_weights as u64),
        r.seconds,
        r.seconds_per_1000_batches
    );
    println!("wrote {} and {}", out.join("genome.safetensors").display(), out.join("metrics.json").display());
    Ok(())
}

/// `innate eval` of a meta-trained genome: few-shot accuracy on the run's held-out tasks.
fn eval_meta(
    g: &GlobalArgs,
    a: &EvalArgs,
    device: &candle_core::Device,
    genome: &innate_run::LoadedGenome,
    meta: &innate_evolution::MetaConfig,
) -> anyhow::Result<()> {
    let root = data_root(g.data_dir.as_deref());
    let t = Instant::now();
    let r = innate_run::meta::evaluate(genome, meta, &root, &DataCache::default(), device)?;
    println!(
        "{}: {} few-shot accuracy on {} held-out {}-way {}-shot tasks: {:.2} ± {:.2}% (95% interval; {} inner \
         rates; {:.2} s)",
        a.genome.display(),
        genome.file.encoding,
        r.tasks,
        meta.ways,
        meta.shots,
        100.0 * r.accuracy,
        100.0 * r.ci95,
        if r.learned_rates { "learned" } else { "initial" },
        t.elapsed().as_secs_f64()
    );
    if let Some(recorded) = genome.recorded_accuracy() {
        let agrees = (recorded - r.accuracy).abs() < 1e-9;
        println!(
            "recorded at training time: {:.2}% ({})",
            100.0 * recorded,
            if agrees { "identical" } else { "differs: other data files or another device?" }
        );
    }
    Ok(())
}

/// `innate inspect`.
pub fn inspect(g: &GlobalArgs, a: &InspectArgs) -> anyhow::Result<()> {
    let local = innate_run::hub::resolve(&a.genome)?;
    let file = innate_encodings::checkpoint::load(&local, &candle_core::Device::Cpu)?;
    if !a.json {
        // What the metadata says comes first, so that a file this version cannot rebuild (another
        // version wrote it, or it was edited) can still be read before the error.
        print_metadata(&file);
    }
    // The counts come from the genome rebuilt from the file, checked against the metadata's.
    let genome = innate_run::rebuild(&file, &candle_core::Device::Cpu)?;
    innate_run::load::check_counts(&file, genome.as_ref())?;
    let p = genome.params();
    let net = genome.develop()?;
    let weights: usize = innate_encodings::Parameters::parameters(&net)
        .iter()
        .filter(|(name, _)| name.ends_with(".weight"))
        .map(|(_, t)| t.elem_count())
        .sum();
    let of_weights = weights as f64 / p.learned.max(1) as f64;
    let loaded = innate_run::LoadedGenome { file: file.clone(), genome };
    let sizes =
        if a.quantise_check { quantise_check(g, &loaded)? } else { innate_run::quantise::levels(&loaded)? };
    let file = &loaded.file;
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
            "quantised_bits": file.quantised_bits,
            "sizes": sizes,
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
    print_sizes(&sizes, file.quantised_bits);
    if let Some(stem) = &a.draw {
        for path in innate_experiments::figures::genome::draw(file, &net, stem)? {
            println!("drew          {}", path.display());
        }
    }
    Ok(())
}

/// The genome's size at each number of bits per learned value, and the accuracy at each if measured.
fn print_sizes(sizes: &[innate_run::quantise::Level], stored: Option<u32>) {
    let checked = sizes.iter().any(|l| l.accuracy.is_some());
    match stored {
        Some(b) => println!("size          stored with {b} bits per learned value (pushed with --bits {b})"),
        None => println!(
            "size          of the learned values (bits per value -> bytes{})",
            if checked { ", test accuracy" } else { "" }
        ),
    }
    for l in sizes {
        let acc = l.accuracy.map_or(String::new(), |a| format!("   {:>6.2}%", 100.0 * a));
        let label = if l.bits == 32 { "32 (as trained)".to_string() } else { l.bits.to_string() };
        println!("              {label:>15} bits  {:>10} bytes{acc}", group(l.bytes as u64));
    }
    if !checked {
        println!("              (--quantise-check measures the accuracy at each)");
    }
}

/// `innate inspect --quantise-check`: the size and test accuracy at each quantisation.
fn quantise_check(
    g: &GlobalArgs,
    loaded: &innate_run::LoadedGenome,
) -> anyhow::Result<Vec<innate_run::quantise::Level>> {
    let path = &loaded.file.path;
    if loaded.run().is_some_and(|r| r.strategy.meta().is_some()) {
        bail!(
            "{}: --quantise-check measures test-set accuracy, and this genome was meta-trained on few-shot tasks; \
             inspect it without --quantise-check",
            path.display()
        );
    }
    let Some(name) = loaded.dataset() else {
        bail!(
            "{}: the genome does not record its dataset, so --quantise-check has nothing to test on",
            path.display()
        );
    };
    let dataset: Dataset = name.parse()?;
    let root = data_root(g.data_dir.as_deref());
    let data = dataset.load(&root, Split::Test)?;
    let net = loaded.develop()?;
    innate_run::load::check_fits(path, &net, &data, &dataset.to_string())?;
    let data = data.to_device(&candle_core::Device::Cpu)?;
    Ok(innate_run::quantise::check(loaded, &data)?)
}

/// `innate push`.
pub fn push(g: &GlobalArgs, a: &PushArgs) -> anyhow::Result<()> {
    let mut repo: innate_run::hub::HubRef = a.repo.parse()?;
    match (&repo.rev, &a.revision) {
        (Some(at), Some(flag)) if at != flag => {
            bail!("--repo {} names revision {at:?} and --revision says {flag:?}: give one", a.repo)
        }
        (None, Some(flag)) => repo.rev = Some(flag.clone()),
        _ => {}
    }
    let options =
        innate_run::hub::PushOptions { repo, private: a.private, bits: a.bits, message: a.message.clone() };
    let config = innate_run::hub::HubConfig { progress: !g.quiet, ..innate_run::hub::HubConfig::from_env() };
    let prepared = innate_run::hub::prepare(&a.source, &options)?;
    if a.dry_run {
        println!("{}", prepared.card);
        println!("--- dry run: nothing sent. {} would receive:", options.repo);
        for (name, bytes) in prepared.files() {
            println!("  {name:<20} {:>10} bytes", group(bytes as u64));
        }
        return Ok(());
    }
    let pushed = innate_run::hub::send(&prepared, &options, &config)?;
    println!("pushed {} to {} ({})", a.source.display(), options.repo, pushed.commit_url);
    for (name, bytes) in &pushed.files {
        println!("  {name:<20} {:>10} bytes", group(*bytes as u64));
    }
    println!("use it: innate eval {}    (or innate pull {})", options.repo.uri(), options.repo);
    Ok(())
}

/// `innate pull`.
pub fn pull(g: &GlobalArgs, a: &PullArgs) -> anyhow::Result<()> {
    let repo: innate_run::hub::HubRef = a.repo.parse()?;
    let config = innate_run::hub::HubConfig { progress: !g.quiet, ..innate_run::hub::HubConfig::from_env() };
    let pulled = innate_run::hub::pull(&repo, &config)?;
    if !g.quiet {
        for p in &pulled.others {
            eprintln!("also {}", p.display());
        }
        if pulled.offline {
            eprintln!("(from the cache: HF_HUB_OFFLINE is set)");
        }
    }
    println!("{}", pulled.genome.display());
    Ok(())
}

/// What a genome file's metadata says, as `innate inspect` prints it first.
fn print_metadata(file: &innate_encodings::GenomeFile) {
    println!("genome file   {}", file.path.display());
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
    if let Some(b) = file.quantised_bits {
        println!("quantised     {b} bits per learned value");
    }
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

/// `innate transfer`.
pub fn transfer(g: &GlobalArgs, a: &TransferArgs) -> anyhow::Result<()> {
    let dataset: Dataset = a.dataset.parse()?;
    let device = innate_run::device::parse(&g.device)?;
    let learn = a.learn();
    let source = innate_run::load(&a.from, &device)?.run();
    let default_lr = match learn {
        innate_run::Learn::Weights => 1e-3,
        _ => source.as_ref().map_or(1e-3, |r| r.encoding.default_lr()),
    };
    let allcnn =
        source.as_ref().map(|r| &r.network).filter(|n| matches!(n, innate_run::Network::AllCnn { .. }));
    let lifetime = a.lifetime(default_lr, allcnn)?;
    let layers = a.layers()?;
    let out = a.out.clone().unwrap_or_else(|| {
        let name = match learn {
            innate_run::Learn::Weights => format!("transfer-{}-seed{}", dataset, a.seed),
            other => format!("transfer-{}-{}", dataset, other.name()),
        };
        match innate_run::hub::HubRef::from_path(&a.from) {
            // A genome from the Hub: beside the other runs, not in the Hub's cache.
            Some(Ok(r)) => Path::new("runs").join(format!("hub-{}", r.repo.replace('/', "--"))).join(name),
            _ => a.from.parent().unwrap_or(Path::new(".")).join(name),
        }
    });
    if !a.overwrite && out.join("transfer.json").exists() {
        bail!(
            "{} already holds a transfer test: pass --overwrite to replace it, or choose another --out",
            out.display()
        );
    }
    let root = data_root(g.data_dir.as_deref());
    let env = RunEnv { root: &root, device: &device, cache: &DataCache::default() };
    let classes = match &a.classes {
        Some(c) => crate::convert::number_list(c, "--classes")?.into_iter().map(|c| c as u32).collect(),
        None => Vec::new(),
    };
    let batch_size = lifetime.batch_size;
    let opts = innate_run::TransferOptions {
        layers,
        classes,
        ..innate_run::TransferOptions::new(&dataset.to_string(), lifetime, learn)
    };
    let report = innate_run::transfer(&a.from, &opts, &env, &out, g.quiet)?;
    let trained =
        report.trained_params.map_or(String::new(), |n| format!(", {n} parameters trained on each side"));
    let layers = if report.layers.is_empty() {
        String::new()
    } else {
        format!(", layers {:?} from the genome", report.layers)
    };
    println!(
        "{dataset}, {} batches of {}, learning {}{trained}{layers}:",
        report.innate_curve.last().map_or(0, |p| p.batches),
        batch_size,
        learn.name()
    );
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

/// `innate reproduce`.
pub fn reproduce(g: &GlobalArgs, a: &ReproduceArgs) -> anyhow::Result<()> {
    if a.list {
        for line in innate_experiments::list() {
            println!("{line}");
        }
        return Ok(());
    }
    let report = innate_experiments::run(&a.options(g, crate::machine_cores()))?;
    println!("wrote {}", report.display());
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
