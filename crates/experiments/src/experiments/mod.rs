//! One file per experiment, each with `pub fn experiment() -> Experiment`; [`crate::registry()`]
//! lists them.

pub mod baselines;
pub mod devconv_lenet5_cifar;
pub mod devconv_lenet5_mnist;
pub mod gem_fig1c;
pub mod genome_bits;
pub mod gnet_cifar_fig3cd;
pub mod gnet_cifar_fig3e;
pub mod gnet_cifar_fig3g;
pub mod gnet_cifar_figs2d;
pub mod gnet_cifar_table2;
pub mod gnet_fig2c;
pub mod gnet_fig2d;
pub mod gnet_fig2ef;
pub mod gnet_fig2h;
pub mod gnet_figs2c;
pub mod gnet_table1;
pub mod meta_figs6;
pub mod meta_figs7;
pub mod meta_omniglot;
pub mod sgem_fig2b;
pub mod sgem_fig2c;
pub mod sgem_fig2d;
pub mod sgem_transfer_frozen;
pub mod throughput;
