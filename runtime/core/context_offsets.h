/* context_offsets.h - the frame sprig_context_switch leaves on a parked stack, by offset
 * from the saved stack pointer. Shared by context_switch_x86_64.S and context.cpp,
 * which checks every value against offsetof(SavedFrame, ...) at compile time, so
 * the assembly never carries a bare offset that could drift from the C layout. */
#ifndef SPRIG_CONTEXT_OFFSETS_H
#define SPRIG_CONTEXT_OFFSETS_H

#define SPRIG_FRAME_MXCSR 0  /* 4 bytes, stmxcsr */
#define SPRIG_FRAME_X87_CW 4 /* 2 bytes, fnstcw; 2 bytes unused */
#define SPRIG_FRAME_R15 8
#define SPRIG_FRAME_R14 16
#define SPRIG_FRAME_R13 24
#define SPRIG_FRAME_R12 32
#define SPRIG_FRAME_RBX 40
#define SPRIG_FRAME_RBP 48
#define SPRIG_FRAME_RIP 56  /* the return address: where the context resumes */
#define SPRIG_FRAME_SIZE 64 /* rsp once resumed is the saved sp + this */

#endif
