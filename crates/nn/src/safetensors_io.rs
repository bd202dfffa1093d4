//! Reading and writing [`StateDict`]s as safetensors files, compatible with PyTorch's
//! `safetensors.torch.save_file` / `load_file`.

use crate::state_dict::{LoadError, StateDict};
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use tapegrad_autograd::{DType, Scalar, Tensor};

/// Why a state dict could not be saved or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StateDictError {
    /// The file could not be opened, read, written or renamed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is shorter than the 8-byte header length of every safetensors file.
    #[error("{path}: not a safetensors file: {len} bytes, shorter than the 8-byte header length")]
    TooShort {
        /// The file.
        path: PathBuf,
        /// Its length in bytes.
        len: u64,
    },
    /// The header length stored in the file is larger than the file itself (a truncated or
    /// corrupt file).
    #[error(
        "{path}: corrupt safetensors file: header length {header_len} exceeds the {file_len}-byte file \
         (truncated or not a safetensors file)"
    )]
    HeaderTooLarge {
        /// The file.
        path: PathBuf,
        /// The header length the file declares.
        header_len: u64,
        /// The file's length in bytes.
        file_len: u64,
    },
    /// The safetensors library rejected the file (bad JSON header, invalid UTF-8, offsets that
    /// do not match the data, a truncated data section, ...).
    #[error("{path}: corrupt safetensors file: {source:?}")]
    Format {
        /// The file.
        path: PathBuf,
        /// The safetensors error.
        source: SafeTensorError,
    },
    /// A tensor in the file has another dtype than the model's elements.
    #[error("{path}: tensor \"{tensor}\" has dtype {found}, expected {expected} (cast the model or re-save the file as {expected})")]
    WrongDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The dtype in the file (safetensors name, e.g. `F64`, `I64`).
        found: String,
        /// The dtype the model needs (`F32` or `F64`).
        expected: String,
    },
    /// The state dict was read but does not fit the module.
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// The safetensors dtype of an element type (`F32`, `F64`, `I64`, `BOOL`).
pub fn safetensors_dtype(d: DType) -> Dtype {
    match d {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::I64 => Dtype::I64,
        DType::Bool => Dtype::BOOL,
    }
}

/// One tensor's values as little-endian bytes, ready for `safetensors::serialize` (shared by
/// state dicts and checkpoints).
pub struct TensorBytes {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl TensorBytes {
    /// The bytes of `t`, in its own dtype.
    pub fn of<T: Scalar>(t: &Tensor<T>) -> Self {
        let values = t.to_vec();
        let data = match T::DTYPE {
            DType::F32 => values
                .iter()
                .flat_map(|v| (v.as_f64() as f32).to_le_bytes())
                .collect(),
            DType::F64 => values
                .iter()
                .flat_map(|v| v.as_f64().to_le_bytes())
                .collect(),
            DType::I64 => values
                .iter()
                .flat_map(|v| v.as_i64().to_le_bytes())
                .collect(),
            DType::Bool => values.iter().map(|v| v.as_i64() as u8).collect(),
        };
        TensorBytes {
            dtype: safetensors_dtype(T::DTYPE),
            shape: t.shape().to_vec(),
            data,
        }
    }
}

impl View for &TensorBytes {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// A tensor of element type `T` from little-endian bytes stored in `T`'s own dtype; `None` if
/// the byte count does not fit `shape`.
pub fn tensor_from_le_bytes<T: Scalar>(data: &[u8], shape: &[usize]) -> Option<Tensor<T>> {
    tensor_from_le_bytes_as(safetensors_dtype(T::DTYPE), data, shape)
}

/// A tensor of element type `T` from little-endian bytes stored as `dtype` (`F32`, `F64`,
/// `I64` or `BOOL`), each value converted as PyTorch's `copy_` converts (`f64` → `f32` rounds
/// to nearest); `None` if the byte count does not fit `shape` or the dtype is another one.
pub fn tensor_from_le_bytes_as<T: Scalar>(
    dtype: Dtype,
    data: &[u8],
    shape: &[usize],
) -> Option<Tensor<T>> {
    let width = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 | Dtype::I64 => 8,
        Dtype::BOOL => 1,
        _ => return None,
    };
    if !data.len().is_multiple_of(width) {
        return None;
    }
    let values: Vec<T> = data
        .chunks_exact(width)
        .map(|c| match dtype {
            Dtype::F32 => T::from_f64(f32::from_le_bytes(c.try_into().expect("4 bytes")) as f64),
            Dtype::F64 => T::from_f64(f64::from_le_bytes(c.try_into().expect("8 bytes"))),
            Dtype::I64 => T::from_i64(i64::from_le_bytes(c.try_into().expect("8 bytes"))),
            _ => T::from_i64((c[0] != 0) as i64),
        })
        .collect();
    Tensor::try_from_vec(values, shape).ok()
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames it over `path`, so a
/// crash mid-write leaves any previous file intact.
///
/// When `path` is a symbolic link, the file it points to is replaced (the temporary file is
/// created beside the link's final target) and the link stays a link, as writing through it
/// with `open(path, "wb")` would; a dangling link gets its target created. An existing file
/// keeps its permissions.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = resolve_symlinks(path)?;
    let file_name = target
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = target.with_file_name(tmp_name);
    let permissions = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        if let Some(p) = permissions {
            f.set_permissions(p)?;
        }
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The file `path` designates after following every symbolic link in its last component (a
/// link to a link, relative or absolute targets); `path` itself if it is not a link or does
/// not exist. More than 40 links in a row is an error, as the OS's `ELOOP`.
fn resolve_symlinks(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other(format!(
        "too many levels of symbolic links at {}",
        path.display()
    )))
}

/// Reads a whole safetensors file after checking its 8-byte header length against the file's
/// size, so a corrupt length cannot make it allocate more than the file holds. Errors are
/// [`StateDictError::Io`], [`StateDictError::TooShort`] or [`StateDictError::HeaderTooLarge`].
pub fn read_safetensors_bytes(path: &Path) -> Result<Vec<u8>, StateDictError> {
    let p = || path.to_path_buf();
    let io = |source| StateDictError::Io { path: p(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    if file_len < 8 {
        return Err(StateDictError::TooShort {
            path: p(),
            len: file_len,
        });
    }
    let mut head = [0u8; 8];
    file.read_exact(&mut head).map_err(io)?;
    let header_len = u64::from_le_bytes(head);
    if header_len > file_len - 8 {
        return Err(StateDictError::HeaderTooLarge {
            path: p(),
            header_len,
            file_len,
        });
    }
    let cap = usize::try_from(file_len)
        .map_err(|_| io(std::io::Error::other("file too large for this platform")))?;
    let mut buffer = Vec::with_capacity(cap);
    buffer.extend_from_slice(&head);
    file.take(file_len - 8)
        .read_to_end(&mut buffer)
        .map_err(io)?;
    Ok(buffer)
}

/// Writes `state_dict` as a safetensors file (`F32` or `F64` tensors, metadata
/// `{"format": "pt"}`), readable by `safetensors.torch.load_file`. The file is written to a
/// temporary file in the same directory and renamed over `path`, so a crash mid-save leaves
/// any previous file intact.
///
/// ```
/// use tapegrad_nn::{load_safetensors, save_safetensors, Linear, Module, StateDict};
/// let path = std::env::temp_dir().join(format!("tapegrad-sd-{}.safetensors", std::process::id()));
/// let lin: Linear = Linear::new(2, 3);
/// save_safetensors(&lin.state_dict(), &path).unwrap();
/// let back: StateDict = load_safetensors(&path).unwrap();
/// assert_eq!(back.get("weight").unwrap().to_vec(), lin.weight.to_vec());
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn save_safetensors<T: Scalar>(
    state_dict: &StateDict<T>,
    path: impl AsRef<Path>,
) -> Result<(), StateDictError> {
    let path = path.as_ref();
    let io = |source| StateDictError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tensors: Vec<(String, TensorBytes)> = state_dict
        .iter()
        .map(|(n, t)| (n.to_string(), TensorBytes::of(t)))
        .collect();
    let metadata = Some(HashMap::from([("format".to_string(), "pt".to_string())]));
    let bytes = safetensors::serialize(tensors.iter().map(|(n, b)| (n.as_str(), b)), &metadata)
        .map_err(|source| StateDictError::Format {
            path: path.to_path_buf(),
            source,
        })?;
    write_atomic(path, &bytes).map_err(io)
}

/// Reads a safetensors file (e.g. PyTorch's `save_file(net.state_dict(), path)`) into a
/// [`StateDict`], in the file's data order. Every tensor must have the model's dtype (`F32`
/// for `StateDict<f32>`, `F64` for `StateDict<f64>`). Never panics: a missing, empty,
/// truncated or corrupt file or a wrong dtype is a [`StateDictError`] naming the file. The
/// header length is checked against the file size before anything else is read, so a corrupt
/// length cannot make it allocate more than the file's size.
///
/// ```
/// use tapegrad_nn::{load_safetensors, StateDict, StateDictError};
/// let err = load_safetensors::<f32>("/nonexistent/net.safetensors").unwrap_err();
/// assert!(matches!(err, StateDictError::Io { .. }));
/// assert!(err.to_string().contains("/nonexistent/net.safetensors"));
/// ```
pub fn load_safetensors<T: Scalar>(path: impl AsRef<Path>) -> Result<StateDict<T>, StateDictError> {
    let path = path.as_ref();
    let buffer = read_safetensors_bytes(path)?;
    Ok(read_tensors::<T>(&buffer, path, false)?
        .into_iter()
        .collect())
}

/// The tensors of a safetensors file's bytes, in the file's data order: the one reader behind
/// [`load_safetensors`] and the training checkpoints, after [`read_metadata`]'s checks; with `exact_dtype` every tensor must have `T`'s dtype,
/// else F32, F64, I64 and BOOL entries convert, as PyTorch's `load_state_dict` converts through
/// `copy_` (an f64 file into an f32 model; an int64 `num_batches_tracked` into a float state
/// dict). `path` only names the source in errors.
pub fn read_tensors<T: Scalar>(
    buffer: &[u8],
    path: &Path,
    exact_dtype: bool,
) -> Result<Vec<(String, Tensor<T>)>, StateDictError> {
    read_metadata(buffer, path)?;
    let p = || path.to_path_buf();
    let format = |source| StateDictError::Format { path: p(), source };
    let (_, metadata) = SafeTensors::read_metadata(buffer).map_err(format)?;
    let st = SafeTensors::deserialize(buffer).map_err(format)?;
    let mut infos: Vec<(String, (usize, usize))> = metadata
        .tensors()
        .into_iter()
        .map(|(n, info)| (n, info.data_offsets))
        .collect();
    infos.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    let mut tensors = Vec::with_capacity(infos.len());
    for (name, _) in infos {
        let view = st.tensor(&name).map_err(format)?;
        let want = safetensors_dtype(T::DTYPE);
        let known = |d: Dtype| matches!(d, Dtype::F32 | Dtype::F64 | Dtype::I64 | Dtype::BOOL);
        if view.dtype() != want && (exact_dtype || !known(view.dtype())) {
            return Err(StateDictError::WrongDtype {
                path: p(),
                tensor: name,
                found: format!("{:?}", view.dtype()),
                expected: format!("{want:?}"),
            });
        }
        let tensor = tensor_from_le_bytes_as::<T>(view.dtype(), view.data(), view.shape())
            .ok_or_else(|| {
                format(SafeTensorError::InvalidTensorView(
                    view.dtype(),
                    view.shape().to_vec(),
                    view.data().len(),
                ))
            })?;
        tensors.push((name, tensor));
    }
    Ok(tensors)
}

/// The string metadata of a safetensors file's bytes (`__metadata__`; empty if none), after
/// the checks every read makes first: the length prefix fits in `buffer`
/// ([`StateDictError::TooShort`], [`StateDictError::HeaderTooLarge`]) and the header and the
/// data offsets are well formed ([`StateDictError::Format`]).
pub fn read_metadata(
    buffer: &[u8],
    path: &Path,
) -> Result<HashMap<String, String>, StateDictError> {
    let p = || path.to_path_buf();
    if buffer.len() < 8 {
        return Err(StateDictError::TooShort {
            path: p(),
            len: buffer.len() as u64,
        });
    }
    let header_len = u64::from_le_bytes(buffer[..8].try_into().expect("8 bytes"));
    if header_len > buffer.len() as u64 - 8 {
        return Err(StateDictError::HeaderTooLarge {
            path: p(),
            header_len,
            file_len: buffer.len() as u64,
        });
    }
    let format = |source| StateDictError::Format { path: p(), source };
    let (_, metadata) = SafeTensors::read_metadata(buffer).map_err(format)?;
    SafeTensors::deserialize(buffer).map_err(format)?;
    Ok(metadata.metadata().clone().unwrap_or_default())
}
