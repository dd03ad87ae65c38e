//! Progress of a strategy as it trains, for progress bars and logs.

use crate::report::{EvalPoint, GenerationPoint};

/// Receives progress while a genome trains. Every method has an empty default, so an observer
/// implements only what it shows; `()` ignores everything.
pub trait Observer {
    /// Called after each training batch with the number done.
    fn batch(&mut self, _done: usize) {}
    /// Called after each evaluation on the test set.
    fn eval(&mut self, _point: &EvalPoint) {}
    /// Called after each generation of a strategy that works in generations.
    fn generation(&mut self, _point: &GenerationPoint) {}
}

/// An observer that ignores everything.
impl Observer for () {}
