//! Figures, drawn from result rows (and, for a genome, from its file) without system libraries:
//! line charts ([`plot`]), panels of images and gene-field maps ([`panels`]), and the pictures
//! `innate inspect --draw` makes of a genome ([`genome`]).

pub mod genome;
pub mod panels;
pub mod plot;

pub use plot::with_suffix;
