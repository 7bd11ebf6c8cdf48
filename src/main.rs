//! The `arr` binary: the CLI, run on a thread with a large stack so deeply nested programs
//! end in a clean error rather than a stack overflow.

/// Large arrays on transparent huge pages, as NumPy's are (see `arr::runtime::HugePageAlloc`).
#[global_allocator]
static ALLOC: arr::runtime::HugePageAlloc = arr::runtime::HugePageAlloc;

fn main() {
    arr::runtime::keep_freed_blocks();
    let args: Vec<String> = std::env::args().collect();
    let status = std::thread::Builder::new()
        .name("arr".into())
        .stack_size(512 << 20)
        .spawn(move || arr::cli::main_with_args(args))
        .map(|h| h.join().unwrap_or(101))
        .unwrap_or_else(|e| {
            eprintln!("resource error: cannot start the interpreter thread: {e}");
            1
        });
    std::process::exit(status);
}
