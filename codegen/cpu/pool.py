"""A native pthread pool written in LLVM IR: ``tk_parallel_for`` and friends.

``add_parallel_runtime(module)`` adds, once per module, these external functions::

    void tk_parallel_for(void (*body)(i8* ctx, i64 begin, i64 end), i8* ctx, i64 n, i64 grain)
    void tk_set_num_threads(i64 n)      ; n < 1 restores the default (online CPUs)
    i64  tk_get_num_threads()
    i64  tk_parallel_workers_started()  ; diagnostics: worker threads created so far
    void tk_parallel_shutdown()         ; joins the workers (before freeing the JIT'd code)

Scheduling: ``[0, n)`` is cut into ``nchunks = min(threads, ceil(n / grain))`` contiguous chunks
of ``ceil(n / nchunks)`` iterations. Each participant (the caller and every active worker) takes
chunk indices from an atomic counter until none are left, so a late worker never delays the
call: the caller simply runs the remaining chunks itself. ``n <= grain`` (or one thread) runs
``body(ctx, 0, n)`` inline with no synchronization at all.

Protocol (one caller thread at a time; a nested or concurrent call runs inline instead):

* Workers are created with ``pthread_create`` on the first call that needs them and live until
  ``tk_parallel_shutdown``. Each remembers the last value of the 32-bit *generation* counter
  (the futex word) it has seen.
* The caller publishes the task (body, ctx, n, chunk size), resets the chunk and finish
  counters, opens the 64-bit ``task_state`` word (``generation << 32``, closed bit clear, zero
  joined), then bumps the generation (seq_cst). If any worker announced that it sleeps, the
  caller wakes them with ``futex(FUTEX_WAKE_PRIVATE)``.
* A worker spins on the generation with ``pause`` for ``SPIN_ITERATIONS`` rounds (about
  0.7 ms on Zen 5: long enough to stay awake across the gaps between a training step's
  kernels, as waking a sleeping vCPU took 20-100+ us on the benchmark VM), then increments
  ``sleepers``, re-checks the generation and blocks in ``futex(FUTEX_WAIT_PRIVATE)``. The
  seq_cst increment/load pairs on both sides (Dekker) make a lost wake-up impossible, and an
  idle pool burns no CPU.
* A woken worker *joins* the task by a compare-and-swap that increments the joined count of an
  open ``task_state``; only then does it read the task slots and take chunks, and when it runs
  out of chunks it increments ``finished``.
* When the caller runs out of chunks it *closes* the task (atomic ``or`` of the closed bit),
  which also tells it how many workers joined, and waits (spinning, then ``sched_yield``) for
  exactly that many ``finished``. A worker that wakes too late sees the closed bit and goes
  back to sleep without touching anything, so a descheduled worker (busy machine) never
  delays the caller, and the next call may overwrite the task slots at once.

Linux/x86-64 only: ``sysconf(_SC_NPROCESSORS_ONLN)``, ``syscall(SYS_futex)`` and the x86
``pause`` hint.
"""

from __future__ import annotations

from collections.abc import Callable

from llvmlite import ir

from tenkai.codegen.llvm.functions import declare_function, internal_global
from tenkai.codegen.llvm.loops import counted_loop
from tenkai.codegen.llvm.types import I1, I32, I64, PTR, VOID

BODY_TYPE = ir.FunctionType(VOID, [PTR, I64, I64])
# A pointer that remembers its callee type: llvmlite needs it for indirect calls. Under opaque
# pointers it is just `ptr` to LLVM (with llvmlite's typed printing it reads `void (...)*`,
# which LLVM 22 parses as `ptr`).
BODY_PTR = BODY_TYPE.as_pointer()

MAX_THREADS = 64
SPIN_ITERATIONS = 16384  # idle worker: ~0.7 ms of `pause` (~40 ns each on Zen 5), then futex
JOIN_SPIN_ITERATIONS = 256  # caller waiting for joined workers: ~10 us, then sched_yield
TASK_CLOSED = 1 << 31  # bit of task_state; the low 31 bits count the workers that joined
JOINED_MASK = TASK_CLOSED - 1
SC_NPROCESSORS_ONLN = 84  # glibc value of _SC_NPROCESSORS_ONLN
SYS_FUTEX = 202  # x86-64
FUTEX_WAIT_PRIVATE = 128
FUTEX_WAKE_PRIVATE = 129
INT32_MAX = 2**31 - 1

PUBLIC_NAMES = (
    "tk_parallel_for",
    "tk_set_num_threads",
    "tk_get_num_threads",
    "tk_parallel_workers_started",
    "tk_parallel_shutdown",
)
# their types: what a piece that calls the pool declares (codegen/cpu/library.py)
PUBLIC_TYPES = {
    "tk_parallel_for": ir.FunctionType(VOID, [BODY_PTR, PTR, I64, I64]),
    "tk_set_num_threads": ir.FunctionType(VOID, [I64]),
    "tk_get_num_threads": ir.FunctionType(I64, []),
    "tk_parallel_workers_started": ir.FunctionType(I64, []),
    "tk_parallel_shutdown": ir.FunctionType(VOID, []),
}


# --------------------------------------------------------------------------- declarations


class _LibC:
    """External libc/pthread functions and the x86 pause hint."""

    def __init__(self, module: ir.Module) -> None:
        self.pthread_create = declare_function(
            module, "pthread_create", ir.FunctionType(I32, [PTR, PTR, PTR, PTR])
        )
        self.pthread_join = declare_function(
            module, "pthread_join", ir.FunctionType(I32, [I64, PTR])
        )
        self.sysconf = declare_function(module, "sysconf", ir.FunctionType(I64, [I32]))
        self.sched_yield = declare_function(module, "sched_yield", ir.FunctionType(I32, []))
        self.syscall = declare_function(
            module, "syscall", ir.FunctionType(I64, [I64], var_arg=True)
        )
        self.pause = declare_function(module, "llvm.x86.sse2.pause", ir.FunctionType(VOID, []))


class _PoolState:
    """Internal globals of the pool. Hot atomics get their own 64-byte cache line."""

    def __init__(self, module: ir.Module) -> None:
        self.requested_threads = internal_global(module, "tk_pool_requested_threads", I64)
        self.default_threads = internal_global(module, "tk_pool_default_threads", I64)
        self.workers_started = internal_global(module, "tk_pool_workers_started", I64)
        handles_type = ir.ArrayType(I64, MAX_THREADS)
        self.worker_handles = internal_global(module, "tk_pool_worker_handles", handles_type)
        self.generation = internal_global(module, "tk_pool_generation", I32)
        self.sleepers = internal_global(module, "tk_pool_sleepers", I32)
        self.task_state = internal_global(module, "tk_pool_task_state", I64)
        self.finished = internal_global(module, "tk_pool_finished", I64)
        self.next_chunk = internal_global(module, "tk_pool_next_chunk", I64)
        self.busy = internal_global(module, "tk_pool_busy", I32)
        self.stop = internal_global(module, "tk_pool_stop", I32)
        self.task_body = internal_global(module, "tk_pool_task_body", BODY_PTR)
        self.task_ctx = internal_global(module, "tk_pool_task_ctx", PTR)
        self.task_n = internal_global(module, "tk_pool_task_n", I64)
        self.task_chunk = internal_global(module, "tk_pool_task_chunk", I64)
        self.task_nchunks = internal_global(module, "tk_pool_task_nchunks", I64)
        self.task_active_workers = internal_global(module, "tk_pool_task_active_workers", I64)


# --------------------------------------------------------------------------- small emitters


def _load(builder: ir.IRBuilder, variable: ir.GlobalVariable, name: str) -> ir.Instruction:
    return builder.load(variable, name=name, typ=variable.value_type)


def _atomic_load(
    builder: ir.IRBuilder, variable: ir.GlobalVariable, ordering: str, name: str
) -> ir.Instruction:
    size = variable.value_type.width // 8
    return builder.load_atomic(variable, ordering, size, name=name, typ=variable.value_type)


def _atomic_store(
    builder: ir.IRBuilder, value: ir.Value, variable: ir.GlobalVariable, ordering: str
) -> None:
    # xchg instead of `store atomic`: llvmlite's store_atomic needs a typed pointer.
    builder.atomic_rmw("xchg", variable, value, ordering)


def _define(module: ir.Module, name: str, fnty: ir.FunctionType, linkage: str = "") -> tuple[
    ir.Function, ir.IRBuilder
]:
    function = ir.Function(module, fnty, name)
    if linkage:
        function.linkage = linkage
    function.attributes.add("nounwind")
    return function, ir.IRBuilder(function.append_basic_block("entry"))


def _call_body(builder: ir.IRBuilder, body: ir.Value, args: list[ir.Value]) -> None:
    """Indirect call of a loop body (``body`` must have type BODY_PTR)."""
    builder.call(body, args)


def _emit_spin_until(
    builder: ir.IRBuilder,
    libc: _LibC,
    is_done: Callable[[ir.IRBuilder], ir.Value],
    after_spinning: Callable[[ir.IRBuilder], None],
    label: str,
    spin_iterations: int,
) -> None:
    """Loop until ``is_done``; after ``spin_iterations`` pause rounds call ``after_spinning``
    each round (yield or futex-wait). Leaves the builder in the block after the loop."""
    entry = builder.block
    check = builder.append_basic_block(f"{label}.check")
    spin = builder.append_basic_block(f"{label}.spin")
    backoff = builder.append_basic_block(f"{label}.backoff")
    latch = builder.append_basic_block(f"{label}.latch")
    done = builder.append_basic_block(f"{label}.done")
    builder.branch(check)

    builder.position_at_end(check)
    rounds = builder.phi(I64, name=f"{label}.rounds")
    rounds.add_incoming(I64(0), entry)
    builder.cbranch(is_done(builder), done, spin)

    builder.position_at_end(spin)
    exhausted = builder.icmp_unsigned(">=", rounds, I64(spin_iterations), name="spun_enough")
    builder.cbranch(exhausted, backoff, latch)

    builder.position_at_end(backoff)
    after_spinning(builder)
    builder.branch(latch)

    builder.position_at_end(latch)
    builder.call(libc.pause, [])
    next_rounds = builder.add(rounds, I64(1), name=f"{label}.next_rounds")
    rounds.add_incoming(next_rounds, latch)
    builder.branch(check)
    builder.position_at_end(done)


# --------------------------------------------------------------------------- functions


def _define_get_num_threads(module: ir.Module, pool: _PoolState, libc: _LibC) -> ir.Function:
    """``tk_get_num_threads``: the requested count, else online CPUs (cached), in [1, 64]."""
    function, builder = _define(module, "tk_get_num_threads", ir.FunctionType(I64, []))
    requested = _load(builder, pool.requested_threads, "requested")
    cached = _load(builder, pool.default_threads, "cached_default")
    with builder.if_then(builder.icmp_signed("<", cached, I64(1))):
        online = builder.call(libc.sysconf, [I32(SC_NPROCESSORS_ONLN)], name="online_cpus")
        builder.store(online, pool.default_threads)
    default = _load(builder, pool.default_threads, "default_threads")
    use_default = builder.icmp_signed("<", requested, I64(1), name="use_default")
    threads = builder.select(use_default, default, requested, name="threads")
    threads = builder.select(builder.icmp_signed("<", threads, I64(1)), I64(1), threads)
    too_many = builder.icmp_signed(">", threads, I64(MAX_THREADS))
    builder.ret(builder.select(too_many, I64(MAX_THREADS), threads, name="clamped_threads"))
    return function


def _define_set_num_threads(module: ir.Module, pool: _PoolState) -> ir.Function:
    """``tk_set_num_threads(n)``: n < 1 restores the default. Takes effect on the next call."""
    function, builder = _define(module, "tk_set_num_threads", ir.FunctionType(VOID, [I64]))
    builder.store(function.args[0], pool.requested_threads)
    builder.ret_void()
    return function


def _define_workers_started(module: ir.Module, pool: _PoolState) -> ir.Function:
    function, builder = _define(module, "tk_parallel_workers_started", ir.FunctionType(I64, []))
    builder.ret(_load(builder, pool.workers_started, "started"))
    return function


def _define_run_chunks(module: ir.Module, pool: _PoolState) -> ir.Function:
    """``tk_pool_run_chunks()``: grab chunk indices from the shared counter and run them."""
    function, builder = _define(module, "tk_pool_run_chunks", ir.FunctionType(VOID, []), "internal")
    body = _load(builder, pool.task_body, "body")
    ctx = _load(builder, pool.task_ctx, "ctx")
    total = _load(builder, pool.task_n, "n")
    chunk = _load(builder, pool.task_chunk, "chunk")
    nchunks = _load(builder, pool.task_nchunks, "nchunks")
    grab = builder.append_basic_block("grab")
    run = builder.append_basic_block("run")
    done = builder.append_basic_block("done")
    builder.branch(grab)

    builder.position_at_end(grab)
    index = builder.atomic_rmw("add", pool.next_chunk, I64(1), "monotonic", name="chunk_index")
    builder.cbranch(builder.icmp_signed("<", index, nchunks), run, done)

    builder.position_at_end(run)
    begin = builder.mul(index, chunk, name="begin")
    end = builder.add(begin, chunk, name="end_unclamped")
    end = builder.select(builder.icmp_signed(">", end, total), total, end, name="end")
    _call_body(builder, body, [ctx, begin, end])
    builder.branch(grab)

    builder.position_at_end(done)
    builder.ret_void()
    return function


def _define_worker(
    module: ir.Module, pool: _PoolState, libc: _LibC, run_chunks: ir.Function
) -> ir.Function:
    """``tk_pool_worker(arg)``: arg packs (worker index << 32 | generation at creation)."""
    function, builder = _define(module, "tk_pool_worker", ir.FunctionType(PTR, [PTR]), "internal")
    packed = builder.ptrtoint(function.args[0], I64, name="packed_arg")
    worker_index = builder.lshr(packed, I64(32), name="worker_index")
    first_generation = builder.trunc(packed, I32, name="first_generation")
    entry = builder.block
    wait = builder.append_basic_block("wait_for_task")
    builder.branch(wait)

    builder.position_at_end(wait)
    seen = builder.phi(I32, name="seen_generation")
    seen.add_incoming(first_generation, entry)

    def new_generation(b: ir.IRBuilder) -> ir.Value:
        current = _atomic_load(b, pool.generation, "acquire", "generation")
        return b.icmp_unsigned("!=", current, seen, name="has_task")

    def sleep_on_futex(b: ir.IRBuilder) -> None:
        b.atomic_rmw("add", pool.sleepers, I32(1), "seq_cst")
        current = _atomic_load(b, pool.generation, "seq_cst", "generation_before_sleep")
        with b.if_then(b.icmp_unsigned("==", current, seen)):
            b.call(libc.syscall, [I64(SYS_FUTEX), pool.generation, I64(FUTEX_WAIT_PRIVATE),
                                  b.zext(seen, I64), ir.Constant(PTR, None)])
        b.atomic_rmw("sub", pool.sleepers, I32(1), "seq_cst")

    _emit_spin_until(builder, libc, new_generation, sleep_on_futex, "idle", SPIN_ITERATIONS)
    generation = _atomic_load(builder, pool.generation, "acquire", "task_generation")
    stopping = _atomic_load(builder, pool.stop, "acquire", "stop")
    exit_block = builder.append_basic_block("exit")
    serve = builder.append_basic_block("serve")
    builder.cbranch(builder.icmp_unsigned("!=", stopping, I32(0)), exit_block, serve)

    builder.position_at_end(serve)
    active = _load(builder, pool.task_active_workers, "active_workers")
    with builder.if_then(builder.icmp_signed("<", worker_index, active)):
        joined = _emit_try_join(builder, pool)
        with builder.if_then(joined):
            builder.call(run_chunks, [])
            builder.atomic_rmw("add", pool.finished, I64(1), "release")
    seen.add_incoming(generation, builder.block)
    builder.branch(wait)

    builder.position_at_end(exit_block)
    builder.ret(ir.Constant(PTR, None))
    return function


def _emit_try_join(builder: ir.IRBuilder, pool: _PoolState) -> ir.Value:
    """CAS-increment the joined count of the open task; i1 true if this worker joined."""
    entry = builder.block
    attempt = builder.append_basic_block("join.attempt")
    retry = builder.append_basic_block("join.retry")
    done = builder.append_basic_block("join.done")
    first_state = _atomic_load(builder, pool.task_state, "acquire", "task_state")
    builder.branch(attempt)

    builder.position_at_end(attempt)
    state = builder.phi(I64, name="state")
    state.add_incoming(first_state, entry)
    is_open = builder.icmp_unsigned("==", builder.and_(state, I64(TASK_CLOSED)), I64(0))
    builder.cbranch(is_open, retry, done)

    builder.position_at_end(retry)
    swap = builder.cmpxchg(pool.task_state, state, builder.add(state, I64(1)), "acq_rel",
                           "acquire", name="join_swap")
    swapped = builder.extract_value(swap, 1, name="joined")
    state.add_incoming(builder.extract_value(swap, 0, name="state_now"), retry)
    builder.cbranch(swapped, done, attempt)

    builder.position_at_end(done)
    joined = builder.phi(I1, name="has_joined")
    joined.add_incoming(I1(0), attempt)
    joined.add_incoming(I1(1), retry)
    return joined


def _emit_start_workers(
    builder: ir.IRBuilder, pool: _PoolState, libc: _LibC, worker: ir.Function, wanted: ir.Value
) -> ir.Value:
    """Create workers until ``wanted`` exist (or pthread_create fails); returns the count."""
    generation = _atomic_load(builder, pool.generation, "monotonic", "current_generation")
    check = builder.append_basic_block("start_workers.check")
    create = builder.append_basic_block("start_workers.create")
    created = builder.append_basic_block("start_workers.created")
    done = builder.append_basic_block("start_workers.done")
    builder.branch(check)

    builder.position_at_end(check)
    started = _load(builder, pool.workers_started, "started")
    builder.cbranch(builder.icmp_signed("<", started, wanted), create, done)

    builder.position_at_end(create)
    handle = builder.gep(pool.worker_handles, [I32(0), started], inbounds=True,
                         name="handle_slot", source_etype=pool.worker_handles.value_type)
    packed = builder.or_(builder.shl(started, I64(32)), builder.zext(generation, I64))
    arg = builder.inttoptr(packed, PTR, name="worker_arg")
    status = builder.call(libc.pthread_create, [handle, ir.Constant(PTR, None), worker, arg])
    builder.cbranch(builder.icmp_signed("==", status, I32(0)), created, done)

    builder.position_at_end(created)
    builder.store(builder.add(started, I64(1)), pool.workers_started)
    builder.branch(check)

    builder.position_at_end(done)
    return _load(builder, pool.workers_started, "workers")


def _emit_publish_and_run(
    builder: ir.IRBuilder, pool: _PoolState, libc: _LibC, run_chunks: ir.Function,
    task: tuple[ir.Value, ir.Value, ir.Value, ir.Value, ir.Value], active: ir.Value,
) -> None:
    """Publish the task, wake the workers, run chunks on the caller, close the task and wait
    for the workers that joined it."""
    body, ctx, total, chunk, nchunks = task
    builder.store(body, pool.task_body)
    builder.store(ctx, pool.task_ctx)
    builder.store(total, pool.task_n)
    builder.store(chunk, pool.task_chunk)
    builder.store(nchunks, pool.task_nchunks)
    builder.store(active, pool.task_active_workers)
    _atomic_store(builder, I64(0), pool.next_chunk, "monotonic")
    _atomic_store(builder, I64(0), pool.finished, "monotonic")
    current = _atomic_load(builder, pool.generation, "monotonic", "old_generation")
    new_generation = builder.zext(builder.add(current, I32(1)), I64, name="new_generation")
    _atomic_store(builder, builder.shl(new_generation, I64(32)), pool.task_state, "release")
    builder.atomic_rmw("add", pool.generation, I32(1), "seq_cst")
    sleepers = _atomic_load(builder, pool.sleepers, "seq_cst", "sleepers")
    with builder.if_then(builder.icmp_unsigned("!=", sleepers, I32(0))):
        builder.call(libc.syscall, [I64(SYS_FUTEX), pool.generation, I64(FUTEX_WAKE_PRIVATE),
                                    I64(INT32_MAX)])
    builder.call(run_chunks, [])
    closed = builder.atomic_rmw("or", pool.task_state, I64(TASK_CLOSED), "acq_rel", name="closed")
    joined = builder.and_(closed, I64(JOINED_MASK), name="joined_workers")

    def all_finished(b: ir.IRBuilder) -> ir.Value:
        finished = _atomic_load(b, pool.finished, "acquire", "finished")
        return b.icmp_signed(">=", finished, joined, name="all_finished")

    _emit_spin_until(builder, libc, all_finished, lambda b: b.call(libc.sched_yield, []),
                     "join", JOIN_SPIN_ITERATIONS)


def _define_parallel_for(
    module: ir.Module, pool: _PoolState, libc: _LibC, functions: dict[str, ir.Function]
) -> ir.Function:
    """``tk_parallel_for(body, ctx, n, grain)``; see the module docstring for the protocol."""
    fnty = ir.FunctionType(VOID, [BODY_PTR, PTR, I64, I64])
    function, builder = _define(module, "tk_parallel_for", fnty)
    body, ctx, total, grain = function.args
    body.name, ctx.name, total.name, grain.name = "body", "ctx", "n", "grain"
    inline = builder.append_basic_block("run_inline")
    finish = builder.append_basic_block("finish")
    with builder.if_then(builder.icmp_signed("<", total, I64(1))):
        builder.ret_void()
    grain = builder.select(builder.icmp_signed("<", grain, I64(1)), I64(1), grain, name="grain1")
    threads = builder.call(functions["tk_get_num_threads"], [], name="threads")
    wanted_chunks = builder.sdiv(builder.add(total, builder.sub(grain, I64(1))), grain)
    fewer = builder.icmp_signed("<", wanted_chunks, threads)
    nchunks = builder.select(fewer, wanted_chunks, threads, name="nchunks")
    with builder.if_then(builder.icmp_signed("<=", nchunks, I64(1))):
        builder.branch(inline)
    claim = builder.cmpxchg(pool.busy, I32(0), I32(1), "acquire", "monotonic", name="claim")
    with builder.if_then(builder.not_(builder.extract_value(claim, 1))):
        builder.branch(inline)  # nested or concurrent call: run serially

    workers = _emit_start_workers(builder, pool, libc, functions["tk_pool_worker"],
                                  builder.sub(threads, I64(1)))
    with builder.if_then(builder.icmp_signed("<", workers, I64(1))):
        _atomic_store(builder, I32(0), pool.busy, "release")
        builder.branch(inline)
    chunk = builder.sdiv(builder.add(total, builder.sub(nchunks, I64(1))), nchunks, name="chunk")
    active = builder.sub(threads, I64(1), name="active_workers")
    task = (body, ctx, total, chunk, nchunks)
    _emit_publish_and_run(builder, pool, libc, functions["tk_pool_run_chunks"], task, active)
    _atomic_store(builder, I32(0), pool.busy, "release")
    builder.branch(finish)

    builder.position_at_end(inline)
    _call_body(builder, body, [ctx, I64(0), total])
    builder.branch(finish)
    builder.position_at_end(finish)
    builder.ret_void()
    return function


def _define_shutdown(module: ir.Module, pool: _PoolState, libc: _LibC) -> ir.Function:
    """``tk_parallel_shutdown()``: stop and join all workers (skipped while a call runs)."""
    function, builder = _define(module, "tk_parallel_shutdown", ir.FunctionType(VOID, []))
    claim = builder.cmpxchg(pool.busy, I32(0), I32(1), "acquire", "monotonic", name="claim")
    with builder.if_then(builder.not_(builder.extract_value(claim, 1))):
        builder.ret_void()
    _atomic_store(builder, I32(1), pool.stop, "seq_cst")
    builder.atomic_rmw("add", pool.generation, I32(1), "seq_cst")
    builder.call(libc.syscall, [I64(SYS_FUTEX), pool.generation, I64(FUTEX_WAKE_PRIVATE),
                                I64(INT32_MAX)])
    started = _load(builder, pool.workers_started, "started")
    with counted_loop(builder, I64(0), started, "join", rotated=True, flags=()) as index:
        slot = builder.gep(pool.worker_handles, [I32(0), index], inbounds=True,
                           source_etype=pool.worker_handles.value_type)
        builder.call(libc.pthread_join, [builder.load(slot, typ=I64), ir.Constant(PTR, None)])
    builder.store(I64(0), pool.workers_started)
    _atomic_store(builder, I32(0), pool.stop, "seq_cst")
    _atomic_store(builder, I32(0), pool.busy, "release")
    builder.ret_void()
    return function


def add_parallel_runtime(module: ir.Module) -> dict[str, ir.Function]:
    """Add the pool to ``module`` (idempotent by name); returns the public functions by name."""
    if "tk_parallel_for" in module.globals:
        return {name: module.globals[name] for name in PUBLIC_NAMES}
    pool = _PoolState(module)
    libc = _LibC(module)
    functions: dict[str, ir.Function] = {
        "tk_get_num_threads": _define_get_num_threads(module, pool, libc),
        "tk_set_num_threads": _define_set_num_threads(module, pool),
        "tk_parallel_workers_started": _define_workers_started(module, pool),
        "tk_pool_run_chunks": _define_run_chunks(module, pool),
    }
    functions["tk_pool_worker"] = _define_worker(
        module, pool, libc, functions["tk_pool_run_chunks"]
    )
    functions["tk_parallel_for"] = _define_parallel_for(module, pool, libc, functions)
    functions["tk_parallel_shutdown"] = _define_shutdown(module, pool, libc)
    return {name: functions[name] for name in PUBLIC_NAMES}
