//! How the process asks glibc's `malloc` to hold memory. Off glibc these do nothing.
//!
//! glibc gives each thread that finds the shared arena busy an arena of its own, up to eight per
//! core, and keeps what is freed in an arena for that arena's next use. A server whose actix
//! workers and blocking pool take turns building large short-lived values (the search index's
//! documents at start, a page of results) then holds tens of MB it no longer uses. Measured on
//! the 100k-version bench set (bench/RESULTS.md, Process): RSS 110 MB idle and 148 MB under search
//! load with glibc's defaults, 64 and 102 MB with two arenas, the same throughput within noise;
//! jemalloc and mimalloc (preloaded) held 139/148 and 110/160 MB there.

/// Caps `malloc`'s arenas at one per core. Call first in `main`, before any thread starts.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX).max(1);
        // SAFETY: `mallopt` only sets a tuning value; called before other threads allocate.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

/// Gives the free pages of every arena back to the system: after a large build whose
/// intermediate values are gone (the search index at start), so the idle process does not keep
/// their peak.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` walks the allocator's own free lists under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
