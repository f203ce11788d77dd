//! The module's memory: its size, and the room a write makes sure of before it changes
//! anything, so that a tab whose WebAssembly memory cannot grow gets `FULL` instead of a
//! worker that aborts mid-write.

use crate::errors::ErrorInfo;

/// Bytes of the module's linear memory.
pub fn memory_bytes() -> usize {
    core::arch::wasm32::memory_size(0) * 65_536
}

/// Makes sure that about `bytes` can be allocated now: asks the allocator for that much
/// and gives it back (the allocator keeps the memory it grew for what comes next). `FULL`
/// when the memory cannot grow that far; nothing else changes.
pub fn room_for(bytes: usize) -> Result<(), ErrorInfo> {
    let mut probe: Vec<u8> = Vec::new();
    if probe.try_reserve_exact(bytes).is_ok() {
        return Ok(());
    }
    let mib = |b: usize| b.div_ceil(1 << 20);
    Err(ErrorInfo::new(
        "FULL",
        format!(
            "out of memory: this write may need about {} MiB and the WebAssembly memory could not grow past {} MiB; nothing was written (write smaller chunks, delete or compact records, or use quantization: 'int8')",
            mib(bytes),
            mib(memory_bytes())
        ),
    ))
}
