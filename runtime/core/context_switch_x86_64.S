/* context_switch_x86_64.S - the green-thread switch and entry trampolines, x86-64 SysV.
 *
 * sprig_context_switch(void **from_sp, void *to_sp)
 *   Pushes what the SysV ABI makes callee-saved (rbp, rbx, r12-r15, the
 *   control bits of MXCSR and the x87 control word) on the running stack,
 *   stores rsp in *from_sp, loads to_sp and pops the same frame from there.
 *   No system call: the signal mask is per OS thread and is not switched
 *   (the whole difference from glibc swapcontext, which calls rt_sigprocmask).
 *
 *   The saved frame, from the saved sp up (offsets from context_offsets.h):
 *     +0   MXCSR            (stmxcsr)        +32  r12
 *     +4   x87 control word (fnstcw)         +40  rbx
 *     +8   r15                               +48  rbp
 *     +16  r14                               +56  return address
 *     +24  r13                               +64  the caller's frame
 *   context.cpp reads it for backtraces (context_snapshot) and builds the
 *   first one of every new context (context_make), whose return address is
 *   sprig_context_start.
 *
 *   The store of rsp into *from_sp is the last access to the `from` stack:
 *   a thread moved to another worker (Worker::try_move_here) is resumed
 *   there as soon as that store is seen, and its next frames overwrite
 *   the saved ones.
 *
 *   Why `ret` and not `jmp *saved_rip`: the call into this function pushed
 *   a return-stack-buffer entry. Leaving with a jump keeps that entry, and
 *   every later `ret` of the resumed thread (context_switch's caller, the
 *   scheduler, the API function, ...) is then predicted from the entry
 *   below the right one and mispredicts: measured at 18 ns of a 32 ns yield.
 *   Leaving with `ret` pops it; between threads parked at the same call
 *   site (every yield) the prediction is even right.
 *
 *   Why MXCSR and the x87 control word are reloaded only when they differ:
 *   both are per thread natively, so each green thread keeps its own
 *   (fesetround in one is not seen by another), but ldmxcsr and fldcw are
 *   slow on several cores while threads almost always share one setting.
 *   The values of `from` were just stored, so comparing them with those of
 *   `to` is exact: when equal, the registers already hold what `to` saved.
 *   MXCSR is compared whole, status flags included, as it is restored whole.
 *
 * sprig_context_start
 *   Where a new context's first frame returns to: passes r12 and r13
 *   (context_make puts the entry argument's halves there) to
 *   sprig_green_thread_main. Its CFI marks the return address undefined, so
 *   unwinders (libunwind, libgcc, gdb) end a green thread's backtrace here.
 *
 * sprig_context_entry_uc
 *   The same for a makecontext() frame (SPRIG_SWITCH=ucontext), which brings
 *   the two halves in edi and esi, with rsp 8 off the call alignment.
 */
#include "context_offsets.h"

        .text
        .globl  sprig_context_switch
        .hidden sprig_context_switch
        .type   sprig_context_switch, @function
        .p2align 4
sprig_context_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr SPRIG_FRAME_MXCSR(%rsp)
        fnstcw  SPRIG_FRAME_X87_CW(%rsp)
        movl    SPRIG_FRAME_MXCSR(%rsp), %eax   /* what the registers hold now */
        movzwl  SPRIG_FRAME_X87_CW(%rsp), %ecx
        movq    %rsp, (%rdi)                    /* `from` is parked from here on: */
        movq    %rsi, %rsp                      /* now on the stack of `to` */
        cmpl    SPRIG_FRAME_MXCSR(%rsp), %eax
        jne     .Lload_mxcsr
.Lmxcsr_ready:
        cmpw    SPRIG_FRAME_X87_CW(%rsp), %cx
        jne     .Lload_x87_cw
.Lx87_cw_ready:
        addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret                                     /* into `to`, see above */
.Lload_mxcsr:
        ldmxcsr SPRIG_FRAME_MXCSR(%rsp)
        jmp     .Lmxcsr_ready
.Lload_x87_cw:
        fldcw   SPRIG_FRAME_X87_CW(%rsp)
        jmp     .Lx87_cw_ready
        .cfi_endproc
        .size   sprig_context_switch, .-sprig_context_switch

        .globl  sprig_context_start
        .hidden sprig_context_start
        .type   sprig_context_start, @function
        .p2align 4
sprig_context_start:
        .cfi_startproc
        .cfi_undefined rip                      /* the outermost frame */
        xorl    %ebp, %ebp                      /* no caller frame either */
        movl    %r12d, %edi                     /* entry argument, low half */
        movl    %r13d, %esi                     /* entry argument, high half */
        call    sprig_green_thread_main         /* rsp is 16-aligned here; never returns */
        ud2
        .cfi_endproc
        .size   sprig_context_start, .-sprig_context_start

        .globl  sprig_context_entry_uc
        .hidden sprig_context_entry_uc
        .type   sprig_context_entry_uc, @function
        .p2align 4
sprig_context_entry_uc:
        .cfi_startproc
        .cfi_undefined rip                      /* the outermost frame */
        xorl    %ebp, %ebp                      /* no caller frame either */
        subq    $8, %rsp                        /* align to 16 for the call */
        call    sprig_green_thread_main         /* (lo, hi) in edi, esi; never returns */
        ud2
        .cfi_endproc
        .size   sprig_context_entry_uc, .-sprig_context_entry_uc

        .section .note.GNU-stack, "", @progbits
