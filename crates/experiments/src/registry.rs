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
        gnet_table1::experiment(),
        gnet_fig2c::experiment(),
        gnet_figs2c::experiment(),
        gnet_fig2d::experiment(),
        gnet_fig2ef::experiment(),
        gnet_fig2h::experiment(),
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
}
