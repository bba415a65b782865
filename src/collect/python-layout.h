/* Where CPython keeps what proftop reads, per interpreter version: offsets
 * into _PyRuntime, PyInterpreterState, PyThreadState, _PyInterpreterFrame
 * and PyCodeObject. 3.11 and 3.12 from tables (checked against their DWARF
 * by tests/e2e/python-layout.sh); 3.13 from the _Py_DebugOffsets the
 * interpreter keeps at the start of _PyRuntime for exactly this. */
#ifndef PROFTOP_PYTHON_LAYOUT_H
#define PROFTOP_PYTHON_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmap.h"
#include "python-read.h"

struct py_layout {
	unsigned major, minor;
	uint64_t runtime_interp_head; /* _PyRuntime.interpreters.head */
	uint64_t interp_next, interp_threads_head;
	uint64_t tstate_next, tstate_native_tid;
	/* tstate_frame: 3.11/3.12 the _PyCFrame *cframe, whose current_frame
	 * is at cframe_current; 3.13 (cframe_current < 0) the frame itself. */
	uint64_t tstate_frame;
	int64_t cframe_current;
	uint64_t frame_code, frame_previous, frame_instr, frame_owner;
	int64_t frame_is_entry; /* 3.11's is_entry; -1 from 3.12 (shim frames instead) */
	uint64_t frame_size;	/* bytes read per frame (covers the fields above) */
	uint64_t code_firstlineno, code_filename, code_qualname, code_linetable, code_adaptive;
	struct py_str_layout str;
	/* The GIL (struct _gil_runtime_state): 3.11 in _PyRuntime at gil_at;
	 * 3.12 pointed to by the interpreter's field at gil_at; 3.13 the
	 * interpreter's own, gil_locked and gil_holder relative to it. Its
	 * int locked, and last_holder (a PyThreadState *). */
	enum { PY_GIL_NONE, PY_GIL_RUNTIME, PY_GIL_INTERP_PTR, PY_GIL_INTERP } gil_how;
	uint64_t gil_at, gil_locked, gil_holder;
};

/* _PyInterpreterFrame.owner of a generator's frame, and of the shim frame
 * each eval call pushes (3.12+). */
#define PY_FRAME_OWNED_BY_GENERATOR 1
#define PY_FRAME_OWNED_BY_CSTACK    3

/* An interpreter found in a process: where its _PyRuntime is and its version. */
struct py_found {
	uint64_t runtime; /* address in the process; 0: none found */
	unsigned major, minor;
	const char *path; /* the image holding it (borrowed from the procmap) */
	uint64_t tstate_fn; /* its PyGILState_GetThisThreadState, 0 if not found */
	uint64_t code_type; /* its PyCode_Type, 0 if not found */
};

/* Look through ps's mapped images for CPython (an executable or a
 * libpython holding _PyRuntime). Sets f->major/minor from Py_Version or
 * the file name even when _PyRuntime is missing (stripped); returns
 * whether any CPython image was seen. */
bool py_find_runtime(const struct proc_space *ps, struct py_found *f);

/* Fill l for the interpreter found (3.13: reads the debug offsets from the
 * process). false with a one-line reason in why when unsupported, or
 * with why empty when the process's memory could not be read (it ended). */
bool py_layout_for(struct py_mem *m, const struct py_found *f, struct py_layout *l, char *why,
		   size_t whylen);

#endif
