//! Devices by name: `cpu`, `cuda`, `cuda:N`.

use candle_core::Device;

use crate::error::{Result, RunError};

/// Opens the device named `name` (as `--device` takes it).
pub fn parse(name: &str) -> Result<Device> {
    let name = name.trim().to_ascii_lowercase();
    if name == "cpu" {
        return Ok(Device::Cpu);
    }
    let bad = |m: String| Err(RunError::Config(m));
    let ordinal = match name.strip_prefix("cuda") {
        Some("") => 0,
        Some(rest) => match rest.strip_prefix(':').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                return bad(format!(
                    "--device {name}: expected cpu, cuda or cuda:N (N a GPU number such as 0)"
                ));
            }
        },
        None => return bad(format!("--device {name}: expected cpu, cuda or cuda:N")),
    };
    if !candle_core::utils::cuda_is_available() {
        return bad(format!(
            "--device {name}: this innate binary was built without CUDA support. Build it with \
             `cargo build --release --features cuda` (or ../shared/tools/cuda-build.sh -p innate-cli) \
             on a machine with the CUDA toolkit, or use --device cpu"
        ));
    }
    Device::new_cuda(ordinal).map_err(|e| {
        RunError::Config(format!(
            "--device {name}: cannot open CUDA device {ordinal}: check that `nvidia-smi` lists a GPU {ordinal} and \
             that its driver supports the CUDA version this binary was built with, or use --device cpu: {e}"
        ))
    })
}

/// A short name of a device for results files (`cpu`, `cuda:0`).
pub fn describe(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => "cpu".into(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    }
}

/// The device as a run's results record it: [`describe`], and on a CPU the number of threads its
/// kernels used (`cpu, 1 thread`), which its timings depend on.
pub fn describe_for_run(device: &Device) -> String {
    match device.location() {
        candle_core::DeviceLocation::Cpu => match candle_core::utils::get_num_threads() {
            1 => "cpu, 1 thread".into(),
            n => format!("cpu, {n} threads"),
        },
        _ => describe(device),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_and_bad_names() {
        assert!(parse("cpu").unwrap().is_cpu());
        assert!(parse("CPU").unwrap().is_cpu());
        let e = parse("tpu").unwrap_err().to_string();
        assert!(e.contains("expected cpu, cuda"), "{e}");
        let e = parse("cuda:x").unwrap_err().to_string();
        assert!(e.contains("cuda:N"), "{e}");
        if !candle_core::utils::cuda_is_available() {
            let e = parse("cuda").unwrap_err().to_string();
            assert!(e.contains("--features cuda"), "{e}");
        }
        assert_eq!(describe(&Device::Cpu), "cpu");
        assert!(describe_for_run(&Device::Cpu).starts_with("cpu, "));
    }
}
