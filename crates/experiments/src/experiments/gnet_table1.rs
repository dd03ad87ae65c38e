//! `gnet-table1`: the parameter counts of the g-network presets for MNIST (genomic bottleneck,
//! Table 1), computed from genomes built by innate-gnet; no training.

use std::path::Path;

use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, Experiment, Kind};
use crate::profile::Profile;
use innate_encodings::Genome;
use innate_gnet::{GenomicNet, Preset};

/// `gnet-table1`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-table1",
        title: "The g-network presets for MNIST (Table 1)",
        source: "genomic-bottleneck paper, Table 1",
        caption: "Parameter counts of genomes built from the presets by innate-gnet (computed, no training).",
        kind: Kind::Derived(Derived {
            compute: |env| table1_compute(env.out, env.profile),
            figure: None,
            claims: table1_claims,
        }),
    }
}

fn table1_compute(_out: &Path, _profile: Profile) -> anyhow::Result<Vec<Value>> {
    let paper = [(Preset::Gn5, 613, 1038), (Preset::Gn20, 1_353, 470), (Preset::Gn30, 1_973, 322)];
    paper
        .iter()
        .map(|&(p, params, compression)| {
            let genome = GenomicNet::new(innate_gnet::mnist_config(p, 0), &candle_core::Device::Cpu)?;
            let count = genome.params();
            let h = p.hidden();
            Ok(json!({
                "preset": p.name(),
                "structure": format!("(20-{}-{}-1) x 2", h[0], h[1]),
                "bias_net": "10-5-1",
                "genome_params": count.learned,
                "phenotype_params": count.phenotype,
                "compression": count.compression(),
                "paper_genome_params": params,
                "paper_phenotype_params": 636_010,
                "paper_compression": compression,
            }))
        })
        .collect()
}

fn table1_claims(values: &[Value]) -> Vec<Claim> {
    crate::gnet::preset_claims(values, "bias_net", "bias net")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_presets_counts_are_the_papers() {
        let values = table1_compute(Path::new("."), Profile::Quick).unwrap();
        let c = table1_claims(&values);
        let lines: Vec<(&str, &str)> = c.iter().map(|c| (c.paper.as_str(), c.ours.as_str())).collect();
        assert_eq!(
            lines,
            [
                ("613 / 636010 / 1038x", "613 / 636010 / 1038x"),
                ("1353 / 636010 / 470x", "1353 / 636010 / 470x"),
                ("1973 / 636010 / 322x", "1973 / 636010 / 322x"),
            ]
        );
        assert_eq!(
            c[2].quantity,
            "GN30: (20-30-10-1) x 2 weight g-networks, 10-5-1 bias net, p-network parameters, compression"
        );
    }
}
