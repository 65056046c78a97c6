// inherit.hpp - SPRIG_INHERIT=0: the programs this process runs start without libsprig.so.
#pragma once

namespace sprig {

// Removes every entry of LD_PRELOAD that names the file this library was
// loaded from (same device and inode; a bare name by its base name), keeping
// the others in order, joined by ':'. Unsets LD_PRELOAD when none is left.
// Edits the variable's string in place, so environ and main's envp agree.
// Called before main, on the process's initial thread.
void preload_leave_out_of_children();

} // namespace sprig
