//! The model card of a pushed genome: the repository's `README.md`, with the YAML front matter
//! the Hub reads (library, tags, datasets, license, the measured accuracy as a model index) and
//! a body saying what the genome is, how it was trained and how to use it from innate and Python.

use super::address::HubRef;
use crate::encoding::Encoding;
use crate::error::Result;
use crate::load::LoadedGenome;
use crate::metrics::Metrics;
use crate::python::DEVELOP_PY;

/// A generated model card.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCard {
    /// The whole `README.md`: front matter, then the body.
    pub text: String,
}

impl ModelCard {
    /// The YAML between the opening and the closing `---`.
    pub fn front_matter(&self) -> &str {
        let rest = self.text.strip_prefix("---\n").unwrap_or("");
        rest.split_once("\n---\n").map_or("", |(fm, _)| fm)
    }
}

/// The Hub's name of the datasets innate reads, where the Hub has them.
fn hub_dataset(name: &str) -> Option<&'static str> {
    Some(match name {
        "mnist" => "ylecun/mnist",
        "fashion-mnist" => "zalando-datasets/fashion_mnist",
        "cifar10" | "cifar-10" => "uoft-cs/cifar10",
        "svhn" => "ufldl-stanford/svhn",
        "omniglot" => "brendenlake/omniglot",
        _ => return None,
    })
}

/// An encoding's one-line summary without the command-line hints in its last parentheses:
/// `G-networks: ... (genomic bottleneck; needs --preset ...)` -> `G-networks: ... (genomic bottleneck)`.
fn plain(summary: &str) -> String {
    let Some(open) = summary.rfind(" (").filter(|_| summary.ends_with(')')) else { return summary.into() };
    let inner = &summary[open + 2..summary.len() - 1];
    if !inner.contains("--") {
        return summary.into();
    }
    match inner.split_once("; ") {
        Some((keep, _)) if !keep.contains("--") => format!("{} ({keep})", &summary[..open]),
        _ => summary[..open].into(),
    }
}

/// A YAML scalar: a double-quoted string (JSON's escapes are YAML's).
fn q(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// The card of the genome `g` (its run's `metrics`, when known) pushed to `repo`, its tensors
/// quantised to `bits` per value if given.
pub fn card(
    g: &LoadedGenome,
    metrics: Option<&Metrics>,
    repo: &HubRef,
    bits: Option<u32>,
) -> Result<ModelCard> {
    let f = &g.file;
    let run = g.run();
    let p = g.genome.params();
    let dataset = g.dataset().unwrap_or("unknown").to_string();
    let strategy = run
        .as_ref()
        .and_then(|r| serde_json::to_value(&r.strategy).ok())
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
        .unwrap_or_else(|| "unknown".into());
    let meta = run.as_ref().and_then(|r| r.strategy.meta().cloned());
    let summary = plain(Encoding::SUMMARIES.iter().find(|(n, _)| *n == f.encoding).map_or("", |(_, s)| *s));
    let mut tags = vec!["innate".to_string(), "genome".to_string(), f.encoding.clone()];
    if f.encoding == "gnet" || strategy == "intermittent" {
        tags.push("genomic-bottleneck".into());
    }
    if f.encoding != "gnet" && f.encoding != "direct" || strategy == "meta" {
        tags.push("developmental-priors".into());
    }
    if strategy == "meta" {
        tags.push("meta-learning".into());
    }
    tags.push(dataset.clone());
    let accuracy = g.recorded_accuracy();
    let network = run.as_ref().map_or_else(|| "?".into(), |r| r.network.name());

    let mut fm = String::new();
    fm.push_str("library_name: innate\nlicense: mit\ntags:\n");
    for t in &tags {
        fm.push_str(&format!("- {}\n", q(t)));
    }
    if let Some(d) = hub_dataset(&dataset) {
        fm.push_str(&format!("datasets:\n- {}\n", q(d)));
    }
    if let Some(acc) = accuracy {
        let (task, metric) = match &meta {
            Some(m) => {
                ("image-classification", format!("{}-way {}-shot accuracy (held-out tasks)", m.ways, m.shots))
            }
            None => ("image-classification", "test accuracy (best during training)".to_string()),
        };
        fm.push_str(&format!(
            "model-index:\n- name: {}\n  results:\n  - task:\n      type: {}\n    dataset:\n      name: {}\n      type: {}\n      split: test\n    metrics:\n    - type: accuracy\n      value: {}\n      name: {}\n",
            q(&repo.repo),
            q(task),
            q(&dataset),
            q(hub_dataset(&dataset).unwrap_or(&dataset)),
            (acc * 1e4).round() / 1e4,
            q(&metric),
        ));
    }

    let mut b = String::new();
    b.push_str(&format!("# {}\n\n", repo.repo));
    b.push_str(&format!(
        "An [innate](https://github.com/innate-rs/innate) genome, encoding **{}**: {summary}. It develops the \
         weights of a `{network}` network for **{dataset}**; the genome is the whole model, a few tensors \
         that grow every weight of the network.\n\n",
        f.encoding
    ));
    b.push_str("| | |\n| --- | --- |\n");
    let group = |n: usize| innate_datasets::files::group(n as u64);
    b.push_str(&format!("| learned genome parameters | {} |\n", group(p.learned)));
    if p.fixed > 0 {
        b.push_str(&format!(
            "| fixed genome parameters (drawn again from the seed) | {} |\n",
            group(p.fixed)
        ));
    }
    b.push_str(&format!("| parameters of the developed network | {} |\n", group(p.phenotype)));
    b.push_str(&format!("| compression (developed / learned) | {:.1}x |\n", p.compression()));
    match bits {
        Some(n) => b.push_str(&format!(
            "| stored as | {n} bits per learned value (quantised by `innate push --bits {n}`) |\n"
        )),
        None => b.push_str("| stored as | 32-bit floats |\n"),
    }
    if let Some(acc) = accuracy {
        let on = match &meta {
            Some(m) => format!("{}-way {}-shot, held-out tasks", m.ways, m.shots),
            None => format!("{dataset} test set, best during training"),
        };
        b.push_str(&format!("| accuracy | {:.2}% ({on}) |\n", 100.0 * acc));
    }
    if let Some(m) = metrics {
        b.push_str(&format!(
            "| training | {} batches, {:.0} s on {} |\n",
            group(m.report.batches),
            m.report.seconds,
            m.device
        ));
    }
    b.push_str(&format!("| written by | innate {} |\n\n", f.version));
    b.push_str(&format!(
        "## How it was trained\n\nStrategy `{strategy}`, seed {}. The run's whole configuration, as innate \
         records it in the genome file (`innate inspect` prints it):\n\n```json\n{}\n```\n\n",
        run.as_ref().map_or(0, |r| r.seed),
        serde_json::to_string_pretty(&match &run {
            Some(r) => serde_json::to_value(r)?,
            None => f.run.clone(),
        })?
    ));
    b.push_str(&format!(
        "## Use it with innate\n\n```sh\ninnate pull {r}            # into the Hugging Face cache; prints the path\n\
         innate eval hf://{r}       # accuracy of the developed network\ninnate inspect hf://{r}    # counts, \
         configuration, size in bits\n```\n\nFrom Rust, `innate_run::load(Path::new(\"hf://{r}\"), &Device::Cpu)?.develop()?` \
         gives the network as a Candle module.\n\n",
        r = repo
    ));
    b.push_str(&format!(
        "## Use it from Python\n\nThe genome file alone develops the weights; this script needs only numpy and \
         safetensors (`pip install numpy safetensors huggingface_hub`):\n\n```python\n\
         from huggingface_hub import hf_hub_download\npath = hf_hub_download({}, \"genome.safetensors\"{})\n\
         layers = develop(path)  # [(weight [out, in], bias [out]), ...], input side first\n```\n\n\
         with `develop` from this script (`develop.py`; `python3 develop.py genome.safetensors` prints the \
         layers):\n\n```python\n{}```\n",
        q(&repo.repo),
        repo.rev.as_ref().map_or(String::new(), |r| format!(", revision={}", q(r))),
        DEVELOP_PY
    ));
    b.push_str(
        "\n## Papers\n\n- A. Koulakov, S. Shuvaev, D. Lachi, A. Zador, *Encoding innate ability through a genomic \
         bottleneck* (g-networks, intermittent training).\n- D. L. Barabási, T. Beynon, Á. Katona, N. Perez-Nieves, \
         *Complex computation from developmental priors*, Nature Communications 14, 2226 (2023) (GEM, S-GEM, \
         ML-S-GEM).\n",
    );
    Ok(ModelCard { text: format!("---\n{fm}---\n\n{b}") })
}

#[cfg(test)]
mod tests {
    #[test]
    fn summaries_lose_their_command_line_hints() {
        assert_eq!(
            super::plain("G-networks: every weight (genomic bottleneck; needs --preset or --gnet-hidden)"),
            "G-networks: every weight (genomic bottleneck)"
        );
        assert_eq!(super::plain("GEM: W = X O Xᵀ (needs --genes)"), "GEM: W = X O Xᵀ");
        assert_eq!(
            super::plain("Directly learned weights (the baseline)"),
            "Directly learned weights (the baseline)"
        );
    }
}
