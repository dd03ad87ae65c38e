//! `gnet-cifar-table2`: the parameter counts of the CIFAR-10 g-network presets (genomic
//! bottleneck, Table 2), computed from the genomes innate-gnet builds for All-CNN-C; no training.

use serde_json::{Value, json};

use crate::experiment::{Claim, Derived, Experiment, Kind};
use innate_encodings::Genome;
use innate_gnet::Preset;
use innate_gnet::conv::{GenomicConvNet, cifar_config};

/// `gnet-cifar-table2`.
pub fn experiment() -> Experiment {
    Experiment {
        name: "gnet-cifar-table2",
        title: "The g-network presets for the 9-layer all-convolutional CIFAR-10 network (Table 2)",
        source: "genomic-bottleneck paper, Table 2",
        caption: "Parameter counts of genomes built from Table 2's presets by innate-gnet for All-CNN-C (computed, \
                  no training): 9 weight g-networks over 20-bit labels, eight 8-10-1 bias g-networks and a linear \
                  10-1 one for the class biases.",
        kind: Kind::Derived(Derived { compute: |_| table2_compute(), figure: None, claims: table2_claims }),
    }
}

fn table2_compute() -> anyhow::Result<Vec<Value>> {
    let paper = [(Preset::Gn10, 3_798, 361), (Preset::Gn30, 9_378, 146), (Preset::Gn50, 14_958, 92)];
    paper
        .iter()
        .map(|&(p, params, compression)| {
            let genome = GenomicConvNet::new(cifar_config(p, 0), &candle_core::Device::Cpu)?;
            let count = genome.params();
            let h = p.hidden();
            Ok(json!({
                "preset": p.name(),
                "structure": format!("(20-{}-{}-1) x 9", h[0], h[1]),
                "bias_nets": "8-10-1 x 8, 10-1",
                "genome_params": count.learned,
                "phenotype_params": count.phenotype,
                "compression": count.compression(),
                "paper_genome_params": params,
                "paper_phenotype_params": 1_369_738,
                "paper_compression": compression,
            }))
        })
        .collect()
}

fn table2_claims(values: &[Value]) -> Vec<Claim> {
    crate::gnet::preset_claims(values, "bias_nets", "bias nets")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_presets_counts_are_the_papers() {
        let c = table2_claims(&table2_compute().unwrap());
        let lines: Vec<(&str, &str)> = c.iter().map(|c| (c.paper.as_str(), c.ours.as_str())).collect();
        assert_eq!(
            lines,
            [
                ("3798 / 1369738 / 361x", "3798 / 1369738 / 361x"),
                ("9378 / 1369738 / 146x", "9378 / 1369738 / 146x"),
                ("14958 / 1369738 / 92x", "14958 / 1369738 / 92x"),
            ]
        );
        assert!(c[0].quantity.starts_with("GN10: (20-10-10-1) x 9 weight g-networks"));
    }
}
