//! Every experiment, in report order: the one list to add an experiment to.

use crate::experiment::Experiment;
use crate::experiments::*;

/// Every experiment, in report order.
pub fn registry() -> Vec<Experiment> {
    vec![
        baselines::experiment(),
        gem_fig1c::experiment(),
        sgem_fig2c::experiment(),
        sgem_fig2d::experiment(),
        sgem_fig2b::experiment(),
        sgem_transfer_frozen::experiment(),
        gnet_table1::experiment(),
        gnet_fig2c::experiment(),
        gnet_figs2c::experiment(),
        gnet_fig2d::experiment(),
        gnet_fig2ef::experiment(),
        gnet_fig2h::experiment(),
        gnet_cifar_table2::experiment(),
        gnet_cifar_fig3cd::experiment(),
        gnet_cifar_figs2d::experiment(),
        gnet_cifar_fig3e::experiment(),
        gnet_cifar_fig3g::experiment(),
        gnet_cifar_fig3g::stand_in(),
        devconv_lenet5_mnist::experiment(),
        devconv_lenet5_cifar::experiment(),
        meta_omniglot::experiment(),
        meta_figs6::experiment(),
        meta_figs7::experiment(),
        genome_bits::experiment(),
        throughput::experiment(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::Kind;
    use crate::profile::Profile;

    #[test]
    fn every_experiment_has_runs_in_every_profile_and_unique_ids() {
        let all = registry();
        let mut names: Vec<&str> = all.iter().map(|e| e.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for e in all.iter().filter(|e| matches!(e.kind, Kind::Runs(_))) {
            for p in [Profile::Quick, Profile::Paper, Profile::Smoke] {
                let runs = e.runs(p);
                assert!(!runs.is_empty(), "{} {p:?}", e.name);
                let mut ids: Vec<_> = runs.iter().map(|r| r.0.clone()).collect();
                ids.sort();
                ids.dedup();
                assert_eq!(ids.len(), runs.len(), "{}", e.name);
            }
        }
    }

    /// The committed `results/` were written by innate 0.1.0, whose run configurations were flat
    /// objects: every row still reads, and its configuration is the one this registry gives the
    /// run of that id and profile. So the rows mean what they meant, and no experiment's runs
    /// changed in the move to configurations as data.
    #[test]
    fn the_committed_results_are_the_registry_s_runs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut checked = 0;
        for e in registry() {
            let Kind::Runs(_) = e.kind else { continue };
            let rows = crate::rows::read_rows(&crate::rows::results_path(&root, e.name)).unwrap();
            for row in rows {
                let runs = e.runs(row.profile);
                let (_, config) = runs
                    .iter()
                    .find(|(id, _)| *id == row.run)
                    .unwrap_or_else(|| panic!("{} has no run {} in {:?}", e.name, row.run, row.profile));
                // Runs that start from another run's genome recorded its file, under the output folder ".".
                let config =
                    crate::schedule::with_refs_resolved(config, std::path::Path::new("."), row.profile)
                        .unwrap();
                assert!(
                    config.is_run_of(&row.metrics.config),
                    "{} {}: the registry's {config:?}, the row's {:?}",
                    e.name,
                    row.run,
                    row.metrics.config
                );
                checked += 1;
            }
        }
        assert!(checked > 1500, "{checked} rows");
    }
}
