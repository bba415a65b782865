#include "config.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "python-layout.h"

/* 3.11 (3.11.0-3.11.x keep their ABI), from Include/internal/pycore_frame.h,
 * pycore_interp.h, cpython/pystate.h and cpython/code.h. */
static const struct py_layout layout_311 = {
	.major = 3,
	.minor = 11,
	.runtime_interp_head = 0x28,
	.interp_next = 0,
	.interp_threads_head = 0x10,
	.tstate_next = 8,
	.tstate_native_tid = 160,
	.tstate_frame = 56,
	.cframe_current = 8,
	.frame_code = 32,
	.frame_previous = 48,
	.frame_instr = 56,
	.frame_owner = 69,
	.frame_is_entry = 68,
	.frame_size = 72,
	.code_firstlineno = 72,
	.code_filename = 112,
	.code_qualname = 128,
	.code_linetable = 136,
	.code_adaptive = 184,
	.str = {.length = 16, .state = 32, .ascii_size = 48, .compact_size = 72},
	.gil_how = PY_GIL_RUNTIME, /* _PyRuntime.ceval.gil */
	.gil_at = 360,
	.gil_locked = 16,
	.gil_holder = 8,
};

static const struct py_layout layout_312 = {
	.major = 3,
	.minor = 12,
	.runtime_interp_head = 0x28,
	.interp_next = 0,
	.interp_threads_head = 0x48,
	.tstate_next = 8,
	.tstate_native_tid = 144,
	.tstate_frame = 56,
	.cframe_current = 0,
	.frame_code = 0,
	.frame_previous = 8,
	.frame_instr = 56,
	.frame_owner = 70,
	.frame_is_entry = -1,
	.frame_size = 72,
	.code_firstlineno = 68,
	.code_filename = 112,
	.code_qualname = 128,
	.code_linetable = 136,
	.code_adaptive = 192,
	.str = {.length = 16, .state = 32, .ascii_size = 40, .compact_size = 56},
	.gil_how = PY_GIL_INTERP_PTR, /* interp->ceval.gil */
	.gil_at = 384,
	.gil_locked = 16,
	.gil_holder = 8,
};

/* The part of 3.13's _Py_DebugOffsets read (Include/internal/pycore_runtime.h):
 * every field a uint64_t, in this order. */
struct debug_offsets_313 {
	char cookie[8];
	uint64_t version, free_threaded;
	uint64_t rt_size, rt_finalizing, rt_interpreters_head;
	uint64_t is_size, is_id, is_next, is_threads_head, is_gc, is_imports_modules, is_sysdict,
		is_builtins, is_ceval_gil, is_gil, is_gil_enabled, is_gil_locked, is_gil_holder;
	uint64_t ts_size, ts_prev, ts_next, ts_interp, ts_current_frame, ts_thread_id,
		ts_native_thread_id, ts_datastack_chunk, ts_status;
	uint64_t fr_size, fr_previous, fr_executable, fr_instr_ptr, fr_localsplus, fr_owner;
	uint64_t co_size, co_filename, co_name, co_qualname, co_linetable, co_firstlineno,
		co_argcount, co_localsplusnames, co_localspluskinds, co_code_adaptive;
	uint64_t ob_size, ob_type;
	uint64_t tp_size, tp_name, tp_repr, tp_flags;
	uint64_t tu_size, tu_ob_item, tu_ob_size;
	uint64_t li_size, li_ob_item, li_ob_size;
	uint64_t di_size, di_ma_keys, di_ma_values;
	uint64_t fl_size, fl_ob_fval;
	uint64_t lo_size, lo_lv_tag, lo_ob_digit;
	uint64_t by_size, by_ob_size, by_ob_sval;
	uint64_t un_size, un_state, un_length, un_asciiobject_size;
};

/* An offset from the target's debug offsets is believed only if small. */
#define OFFSET_MAX (1u << 20)

static bool layout_from_debug_offsets(struct py_mem *m, uint64_t runtime, struct py_layout *l,
				      char *why, size_t whylen)
{
	struct debug_offsets_313 d;

	if (!py_read(m, runtime, &d, sizeof(d))) {
		/* unreadable (the process ended, or is going): nothing to say */
		why[0] = '\0';
		return false;
	}
	if (memcmp(d.cookie, "xdebugpy", 8) != 0) {
		snprintf(why, whylen, "CPython 3.13's _Py_DebugOffsets not found in _PyRuntime");
		return false;
	}
	if (d.free_threaded) {
		snprintf(why, whylen, "unsupported CPython 3.13t (free-threaded)");
		return false;
	}
	const uint64_t used[] = {d.rt_interpreters_head,
				 d.is_next,
				 d.is_threads_head,
				 d.ts_next,
				 d.ts_native_thread_id,
				 d.ts_current_frame,
				 d.fr_previous,
				 d.fr_executable,
				 d.fr_instr_ptr,
				 d.fr_owner,
				 d.co_filename,
				 d.co_qualname,
				 d.co_linetable,
				 d.co_firstlineno,
				 d.co_code_adaptive,
				 d.un_state,
				 d.un_length,
				 d.un_asciiobject_size};
	bool sane = d.co_code_adaptive <= 256 && d.fr_localsplus <= 256;

	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		sane = sane && used[i] < OFFSET_MAX;
	if (!sane) {
		snprintf(why, whylen,
			 "CPython 3.13's debug offsets look corrupt, showing native frames");
		return false;
	}
	*l = (struct py_layout){
		.major = 3,
		.minor = 13,
		.runtime_interp_head = d.rt_interpreters_head,
		.interp_next = d.is_next,
		.interp_threads_head = d.is_threads_head,
		.tstate_next = d.ts_next,
		.tstate_native_tid = d.ts_native_thread_id,
		.tstate_frame = d.ts_current_frame,
		.cframe_current = -1,
		.frame_code = d.fr_executable,
		.frame_previous = d.fr_previous,
		.frame_instr = d.fr_instr_ptr,
		.frame_owner = d.fr_owner,
		.frame_is_entry = -1,
		.frame_size = d.fr_localsplus,
		.code_firstlineno = d.co_firstlineno,
		.code_filename = d.co_filename,
		.code_qualname = d.co_qualname,
		.code_linetable = d.co_linetable,
		.code_adaptive = d.co_code_adaptive,
		.str = {.length = d.un_length,
			.state = d.un_state,
			.ascii_size = d.un_asciiobject_size,
			.compact_size = d.un_asciiobject_size + 16 /* utf8_length, utf8 */},
	};
	if (d.is_gil_locked < OFFSET_MAX && d.is_gil_holder < OFFSET_MAX) {
		l->gil_how = PY_GIL_INTERP; /* interp->_gil */
		l->gil_locked = d.is_gil_locked;
		l->gil_holder = d.is_gil_holder;
	}
	if (l->frame_size > 256 || l->frame_code + 8 > l->frame_size ||
	    l->frame_previous + 8 > l->frame_size || l->frame_instr + 8 > l->frame_size ||
	    l->frame_owner >= l->frame_size || l->code_filename + 8 > l->code_adaptive ||
	    l->code_qualname + 8 > l->code_adaptive || l->code_linetable + 8 > l->code_adaptive ||
	    l->code_firstlineno + 4 > l->code_adaptive) {
		snprintf(why, whylen,
			 "CPython 3.13's debug offsets look corrupt, showing native frames");
		return false;
	}
	return true;
}

bool py_layout_for(struct py_mem *m, const struct py_found *f, struct py_layout *l, char *why,
		   size_t whylen)
{
	if (!f->runtime && !(f->major == 3 && f->minor >= 11 && f->minor <= 13)) {
		snprintf(why, whylen, "unsupported CPython %u.%u, showing native frames", f->major,
			 f->minor);
		return false;
	}
	if (f->major == 3 && f->minor == 11)
		*l = layout_311;
	else if (f->major == 3 && f->minor == 12)
		*l = layout_312;
	else if (f->major == 3 && f->minor == 13)
		return layout_from_debug_offsets(m, f->runtime, l, why, whylen);
	else {
		snprintf(why, whylen, "unsupported CPython %u.%u, showing native frames", f->major,
			 f->minor);
		return false;
	}
	return true;
}

/* The ELF symbol called name in img's .symtab or .dynsym: its vaddr in
 * *value; false if absent. Every header and index is checked against the
 * file's size. */
static bool find_symbol(const struct elf_image *img, const char *name, uint64_t *value)
{
	const uint8_t *d = img->data;
	const Elf64_Ehdr *eh = (const void *)d;
	size_t nlen = strlen(name);

	if (!d || img->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shoff > img->size || (img->size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return false;
	const Elf64_Shdr *sh = (const void *)(d + eh->e_shoff);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *s = &sh[i], *strs;

		if ((s->sh_type != SHT_SYMTAB && s->sh_type != SHT_DYNSYM) ||
		    s->sh_link >= eh->e_shnum || s->sh_offset > img->size ||
		    s->sh_size > img->size - s->sh_offset)
			continue;
		strs = &sh[s->sh_link];
		if (strs->sh_offset > img->size || strs->sh_size > img->size - strs->sh_offset)
			continue;
		const Elf64_Sym *sym = (const void *)(d + s->sh_offset);
		const char *str = (const char *)d + strs->sh_offset;
		for (size_t k = 0; k < s->sh_size / sizeof(Elf64_Sym); k++) {
			if (sym[k].st_name >= strs->sh_size ||
			    strs->sh_size - sym[k].st_name <= nlen ||
			    memcmp(str + sym[k].st_name, name, nlen + 1) != 0 ||
			    sym[k].st_shndx == SHN_UNDEF)
				continue;
			*value = sym[k].st_value;
			return true;
		}
	}
	return false;
}

/* "python3.12", "libpython3.12.so.1.0", "python2.7": the version in the name. */
static bool version_from_name(const char *path, unsigned *major, unsigned *minor)
{
	const char *base = strrchr(path, '/');
	char *end;

	base = base ? base + 1 : path;
	if (strncmp(base, "lib", 3) == 0)
		base += 3;
	if (strncmp(base, "python", 6) != 0 || base[6] < '2' || base[6] > '9' || base[7] != '.')
		return false;
	*major = (unsigned)(base[6] - '0');
	*minor = (unsigned)strtoul(base + 8, &end, 10);
	return end != base + 8;
}

bool py_find_runtime(const struct proc_space *ps, struct py_found *f)
{
	bool seen = false;

	*f = (struct py_found){0};
	for (size_t i = 0; i < ps->nmaps; i++) {
		const struct map_entry *m = &ps->maps[i];
		unsigned major, minor;
		uint64_t rt, ver_addr, fn;
		uint32_t ver;
		int64_t bias;

		if (!m->image || m->pgoff != 0 || (i > 0 && ps->maps[i - 1].image == m->image) ||
		    !version_from_name(m->image->path, &major, &minor))
			continue;
		if (!seen || !f->runtime) {
			f->major = major;
			f->minor = minor;
			f->path = m->image->path;
		}
		seen = true;
		if (!find_symbol(m->image, "_PyRuntime", &rt) || !map_entry_bias(m, &bias))
			continue;
		if (find_symbol(m->image, "Py_Version", &ver_addr) &&
		    elf_image_read(m->image, ver_addr, &ver, sizeof(ver))) {
			major = ver >> 24;
			minor = (ver >> 16) & 0xff;
		}
		f->runtime = (uint64_t)((int64_t)rt + bias);
		if (find_symbol(m->image, "PyGILState_GetThisThreadState", &fn))
			f->tstate_fn = (uint64_t)((int64_t)fn + bias);
		if (find_symbol(m->image, "PyCode_Type", &fn))
			f->code_type = (uint64_t)((int64_t)fn + bias);
		f->major = major;
		f->minor = minor;
		f->path = m->image->path;
		return true;
	}
	return seen;
}
