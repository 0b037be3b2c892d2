//! `--device auto|cpu|cuda[:N]|metal` and the dtype that goes with it.
use super::error::{ModelError, Result};
use candle_core::{DType, Device};
use std::str::FromStr;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceChoice {
    /// CUDA device 0 if this build has CUDA and one is present, then Metal, else CPU.
    #[default]
    Auto,
    Cpu,
    Cuda(usize),
    Metal,
}

impl FromStr for DeviceChoice {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "auto" | "" => Ok(DeviceChoice::Auto),
            "cpu" => Ok(DeviceChoice::Cpu),
            "metal" | "mps" => Ok(DeviceChoice::Metal),
            "cuda" | "gpu" => Ok(DeviceChoice::Cuda(0)),
            _ => {
                if let Some(n) = s.strip_prefix("cuda:") {
                    n.parse::<usize>()
                        .map(DeviceChoice::Cuda)
                        .map_err(|_| ModelError::Device(format!("bad CUDA ordinal in {s:?}")))
                } else {
                    Err(ModelError::Device(format!(
                        "unknown device {s:?}: expected auto, cpu, cuda, cuda:N or metal"
                    )))
                }
            }
        }
    }
}

impl std::fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceChoice::Auto => write!(f, "auto"),
            DeviceChoice::Cpu => write!(f, "cpu"),
            DeviceChoice::Cuda(n) => write!(f, "cuda:{n}"),
            DeviceChoice::Metal => write!(f, "metal"),
        }
    }
}

impl DeviceChoice {
    /// The candle device. Asking for CUDA or Metal in a build without the feature is an error
    /// that says which cargo feature to enable.
    pub fn device(self) -> Result<Device> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Auto => {
                if candle_core::utils::cuda_is_available() {
                    if let Ok(d) = Device::new_cuda(0) {
                        return Ok(d);
                    }
                }
                if candle_core::utils::metal_is_available() {
                    if let Ok(d) = Device::new_metal(0) {
                        return Ok(d);
                    }
                }
                Ok(Device::Cpu)
            }
            DeviceChoice::Cuda(n) => {
                if !candle_core::utils::cuda_is_available() {
                    return Err(ModelError::Device(
                        "CUDA requested but this build has no CUDA support (build with `--features cuda`)".into(),
                    ));
                }
                Device::new_cuda(n).map_err(|e| ModelError::Device(format!("cuda:{n}: {e}")))
            }
            DeviceChoice::Metal => {
                if !candle_core::utils::metal_is_available() {
                    return Err(ModelError::Device(
                        "Metal requested but this build has no Metal support (build with `--features metal`)".into(),
                    ));
                }
                Device::new_metal(0).map_err(|e| ModelError::Device(format!("metal: {e}")))
            }
        }
    }
}

/// Float dtype for a device: f32 on CPU, f16 on CUDA, f16 on Metal (bf16 where asked).
pub fn default_dtype(device: &Device) -> DType {
    if device.is_cpu() {
        DType::F32
    } else {
        DType::F16
    }
}
