//! A genome inside your own Candle model: a directly learned convolution feeding a GEM-encoded
//! 576-128-10 classifier head, trained together on MNIST with one optimiser, then the head's
//! genome saved as a safetensors file (`innate inspect` reads it).
//!
//! ```text
//! cargo run --release -p innate-gem --example gem_head -- ../shared/data 2000
//! ```
//!
//! Arguments: the data root holding `mnist/` (default: `$INNATE_DATA`, else `./data`; fetch it
//! with `cargo xtask download mnist`) and the number of training batches (default 1,000).

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{AdamW, Conv2dConfig, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use innate_datasets::{Dataset, Split, data_root};
use innate_encodings::init::register;
use innate_encodings::{Genome, MlpSpec, SeededInit, checkpoint};
use innate_gem::{GemConfig, GemNet};

/// Genes per neuron of the head. It learns the expression of its 576 input and 128 hidden neurons
/// and one O per layer, G (576 + 128) + 2 G² = 8,736 parameters for its 75,146 weights and biases;
/// the output expression and the biases are fixed random, as in the paper's Fig. 2 runs.
const GENES: usize = 12;

/// The whole model: `conv` is an ordinary Candle layer, `head` a genome that develops its
/// weights from `X O Xᵀ` at every forward pass.
struct Model {
    conv: candle_nn::Conv2d,
    head: GemNet,
}

impl Module for Model {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        // (B, 1, 28, 28) -> (B, 4, 12, 12) -> 576 features -> the developed MLP.
        self.head.forward(&self.conv.forward(x)?.relu()?.flatten_from(1)?)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = data_root(args.next().map(std::path::PathBuf::from).as_deref());
    let batches: usize = match args.next() {
        Some(n) => n.parse().map_err(|_| format!("batches: expected a whole number, got {n:?}"))?,
        None => 1000,
    };
    let dev = Device::Cpu;
    let train = Dataset::Mnist.load(&root, Split::Train)?.to_device(&dev)?;
    let test = Dataset::Mnist.load(&root, Split::Test)?.to_device(&dev)?;

    // The convolution's parameters live in their own VarMap, created through a VarBuilder as any
    // Candle layer's; the genome keeps its variables in `head.varmap()`. Candle's CPU device
    // cannot be seeded, so the convolution's initial weights (PyTorch's default, uniform in
    // ±1/sqrt(fan_in), fan_in = 1 x 5 x 5) are drawn from a seeded stream and registered first:
    // the VarBuilder then finds them there, and every run of the example is the same.
    let seed = 0;
    let conv_vars = VarMap::new();
    let mut init = SeededInit::new(seed, &dev);
    register(&conv_vars, "weight", init.linear_default(&[4, 1, 5, 5], 25)?)?;
    register(&conv_vars, "bias", init.linear_default(&[4], 25)?)?;
    let conv_cfg = Conv2dConfig { stride: 2, ..Default::default() };
    let conv = candle_nn::conv2d(1, 4, 5, conv_cfg, VarBuilder::from_varmap(&conv_vars, DType::F32, &dev))?;
    let head = GemNet::new(GemConfig::gem(MlpSpec::mlp(576, 128, 10), GENES, false, seed), &dev)?;
    let p = head.params();
    println!(
        "head: {} learned genome parameters develop {} weights and biases ({:.1}x)",
        p.learned,
        p.phenotype,
        p.compression()
    );
    let model = Model { conv, head };

    // One optimiser over both: gradients flow through the developed weights into X and O.
    let mut vars = conv_vars.all_vars();
    vars.extend(model.head.varmap().all_vars());
    let mut opt = AdamW::new(vars, ParamsAdamW { lr: 0.003, weight_decay: 0.0, ..Default::default() })?;
    for (step, batch) in train.shuffled(64, seed).take(batches).enumerate() {
        let batch = batch?;
        let loss = candle_nn::loss::cross_entropy(&model.forward(&batch.images)?, &batch.labels)?;
        opt.backward_step(&loss)?;
        if (step + 1) % 250 == 0 {
            println!("batch {:>5}: loss {:.3}", step + 1, loss.to_scalar::<f32>()?);
        }
    }

    let mut correct = 0u32;
    for batch in test.sequential(1000) {
        let batch = batch?;
        let predicted = model.forward(&batch.images)?.argmax(1)?;
        correct += predicted.eq(&batch.labels)?.to_dtype(DType::U32)?.sum_all()?.to_scalar::<u32>()?;
    }
    let accuracy = f64::from(correct) / test.len() as f64;
    println!("test accuracy after {batches} batches: {:.2}%", 100.0 * accuracy);

    // The head's genome alone, with its configuration, in one file (the convolution is not part
    // of it: save `conv_vars` with `VarMap::save` if you need it too).
    let path = std::env::temp_dir().join("innate-gem-head.safetensors");
    let run =
        serde_json::json!({"dataset": "mnist", "seed": seed, "example": "gem_head", "batches": batches});
    let metrics = serde_json::json!({"best_test_accuracy": accuracy});
    checkpoint::save(&path, &model.head, None, &run, &metrics)?;
    let again = checkpoint::load(&path, &dev)?;
    println!("saved the head's genome to {} ({} tensors)", path.display(), again.tensors.len());
    Ok(())
}
