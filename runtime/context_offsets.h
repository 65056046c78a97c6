/* context_offsets.h - where the switch keeps each register inside glibc's x86-64
 * ucontext_t. Shared by context_switch_x86_64.S and context.cpp, which checks
 * every value against offsetof() at compile time, so the assembly never
 * carries a bare offset that could drift from the C layout. */
#ifndef SPRIG_CONTEXT_OFFSETS_H
#define SPRIG_CONTEXT_OFFSETS_H

/* uc_mcontext.gregs[REG_*]: gregs start at 40, eight bytes a register. */
#define SPRIG_UC_R12 72
#define SPRIG_UC_R13 80
#define SPRIG_UC_R14 88
#define SPRIG_UC_R15 96
#define SPRIG_UC_RDI 104
#define SPRIG_UC_RSI 112
#define SPRIG_UC_RBP 120
#define SPRIG_UC_RBX 128
#define SPRIG_UC_RSP 160
#define SPRIG_UC_RIP 168
/* __fpregs_mem: the x87 control word first, MXCSR at +24, as glibc's own
 * getcontext/swapcontext keep them (oFPREGSMEM, oMXCSR). */
#define SPRIG_UC_FPU_CW 424
#define SPRIG_UC_MXCSR 448

#endif
