#include "config.h"

/* C++ names from DWARF where no linkage name says them: the scope chain of
 * a function's declaration (namespaces, classes, "(anonymous namespace)",
 * lambdas numbered as the demangler numbers them) and its parameter types,
 * spelled as __cxa_demangle spells them. A lambda inlined into its caller
 * reads "main::{lambda(unsigned long)#2}::operator()(unsigned long) const",
 * so two lambdas never share a row under the one name "operator()". */

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols-int.h"
#include "xalloc.h"

#define MAX_DEPTH 12

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct strbuf *b, const char *s)
{
	size_t n = strlen(s);

	b->s = xgrow(b->s, &b->cap, b->len + n + 1, 1);
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* GCC's DWARF base type names in the demangler's words. */
static const char *base_type_name(const char *name)
{
	static const char *const map[][2] = {
		{"long unsigned int", "unsigned long"},		  {"long int", "long"},
		{"short unsigned int", "unsigned short"},	  {"short int", "short"},
		{"long long unsigned int", "unsigned long long"}, {"long long int", "long long"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i][0]))
			return map[i][1];
	return name;
}

static bool die_ref(Dwarf_Die *die, unsigned int at, Dwarf_Die *out)
{
	Dwarf_Attribute attr;

	return dwarf_formref_die(dwarf_attr(die, at, &attr), out) != NULL;
}

static bool die_flag(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute attr;
	bool flag = false;

	return dwarf_formflag(dwarf_attr(die, at, &attr), &flag) == 0 && flag;
}

static bool is_lambda(Dwarf_Die *type)
{
	const char *name = dwarf_diename(type);
	int tag = dwarf_tag(type);

	return (tag == DW_TAG_structure_type || tag == DW_TAG_class_type) &&
	       (!name || !strncmp(name, "<lambda", 7));
}

static void scoped_name(struct strbuf *b, Dwarf_Die *die, int depth);

/* A type as the demangler prints it: "unsigned long", "char const*". */
static void type_name(struct strbuf *b, Dwarf_Die *type, int depth)
{
	Dwarf_Die inner;
	const char *name = dwarf_diename(type);
	int tag = dwarf_tag(type);

	if (depth > MAX_DEPTH) {
		sb_add(b, "?");
		return;
	}
	switch (tag) {
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		if (die_ref(type, DW_AT_type, &inner))
			type_name(b, &inner, depth + 1);
		else
			sb_add(b, "void");
		sb_add(b, tag == DW_TAG_pointer_type		? "*"
			  : tag == DW_TAG_reference_type	? "&"
			  : tag == DW_TAG_rvalue_reference_type ? "&&"
			  : tag == DW_TAG_const_type		? " const"
								: " volatile");
		return;
	case DW_TAG_typedef: /* mangling sees through typedefs */
		if (die_ref(type, DW_AT_type, &inner))
			type_name(b, &inner, depth + 1);
		else
			sb_add(b, name ? name : "?");
		return;
	case DW_TAG_base_type:
		sb_add(b, name ? base_type_name(name) : "?");
		return;
	default:
		scoped_name(b, type, depth + 1);
		return;
	}
}

/* `this` (the artificial first parameter) points to a const object. */
static bool object_is_const(Dwarf_Die *param)
{
	Dwarf_Die type;

	if (!die_ref(param, DW_AT_type, &type))
		return false;
	if (dwarf_tag(&type) == DW_TAG_const_type && !die_ref(&type, DW_AT_type, &type))
		return false;
	return dwarf_tag(&type) == DW_TAG_pointer_type && die_ref(&type, DW_AT_type, &type) &&
	       dwarf_tag(&type) == DW_TAG_const_type;
}

/* "(T1, T2)" from a subprogram's formal parameters, without `this`;
 * *is_const: the object is const (a const member function). */
static void param_list(struct strbuf *b, Dwarf_Die *fn, bool *is_const, int depth)
{
	Dwarf_Die child, type;
	bool first = true;

	*is_const = false;
	sb_add(b, "(");
	if (dwarf_child(fn, &child) == 0) {
		do {
			if (dwarf_tag(&child) != DW_TAG_formal_parameter)
				continue;
			if (die_flag(&child, DW_AT_artificial)) {
				*is_const = object_is_const(&child);
				continue;
			}
			if (!first)
				sb_add(b, ", ");
			first = false;
			if (die_ref(&child, DW_AT_type, &type))
				type_name(b, &type, depth + 1);
			else
				sb_add(b, "?");
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	sb_add(b, ")");
}

/* A closure type's operator(), for the lambda's parameter list. */
static bool lambda_call_op(Dwarf_Die *closure, Dwarf_Die *op)
{
	if (dwarf_child(closure, op) != 0)
		return false;
	do {
		const char *name = dwarf_diename(op);

		if (dwarf_tag(op) == DW_TAG_subprogram && name && !strcmp(name, "operator()"))
			return true;
	} while (dwarf_siblingof(op, op) == 0);
	return false;
}

/* "{lambda(unsigned long)#2}": the demangler numbers the lambdas of one
 * scope from 1 in declaration order, which is DIE order. */
static void lambda_name(struct strbuf *b, Dwarf_Die *closure, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child, op;
	unsigned n = 1;
	char num[24];
	bool is_const;

	if (dwarf_child(parent, &child) == 0) {
		do {
			if (child.addr == closure->addr)
				break;
			n += is_lambda(&child) && lambda_call_op(&child, &op);
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	sb_add(b, "{lambda");
	if (lambda_call_op(closure, &op))
		param_list(b, &op, &is_const, depth + 1);
	else
		sb_add(b, "()");
	snprintf(num, sizeof(num), "#%u}", n);
	sb_add(b, num);
}

/* A function as a scope ("f(int)::{lambda()#1}"): its demangled linkage
 * name, else main as itself, else its qualified name and parameters. */
static void function_scope(struct strbuf *b, Dwarf_Die *fn, int depth)
{
	Dwarf_Attribute attr;
	const char *linkage = dwarf_formstring(dwarf_attr_integrate(fn, DW_AT_linkage_name, &attr));
	char *demangled = symbols_demangle(linkage);
	bool is_const;

	if (demangled) {
		sb_add(b, demangled);
		free(demangled);
		return;
	}
	scoped_name(b, fn, depth + 1);
	if (!dwarf_diename(fn) || strcmp(dwarf_diename(fn), "main") != 0) {
		param_list(b, fn, &is_const, depth + 1);
		if (is_const)
			sb_add(b, " const");
	}
}

/* The name of die with its enclosing namespaces, classes and functions. */
static void scoped_name(struct strbuf *b, Dwarf_Die *die, int depth)
{
	Dwarf_Die *scopes = NULL;
	int n = depth > MAX_DEPTH ? -1 : dwarf_getscopes_die(die, &scopes);
	const char *name = dwarf_diename(die);

	/* scopes[0] is die, scopes[n - 1] its CU. */
	for (int i = n - 2; i >= 1; i--) {
		Dwarf_Die *sc = &scopes[i];
		const char *sn = dwarf_diename(sc);

		switch (dwarf_tag(sc)) {
		case DW_TAG_namespace:
			sb_add(b, sn ? sn : "(anonymous namespace)");
			break;
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			if (is_lambda(sc))
				lambda_name(b, sc, &scopes[i + 1], depth);
			else
				sb_add(b, sn ? sn : "{unnamed type}");
			break;
		case DW_TAG_subprogram:
			function_scope(b, sc, depth);
			break;
		default:
			continue; /* lexical blocks */
		}
		sb_add(b, "::");
	}
	if (is_lambda(die) && n >= 2)
		lambda_name(b, die, &scopes[1], depth);
	else
		sb_add(b, name ? name : "?");
	free(scopes);
}

/* The declaration behind a concrete or inlined instance: its abstract
 * origin, then that one's specification (a member declared in a class). */
static void declaration_of(Dwarf_Die *die, Dwarf_Die *decl)
{
	Dwarf_Die next;

	*decl = *die;
	for (int i = 0; i < 4; i++) {
		if (die_ref(decl, DW_AT_abstract_origin, &next) ||
		    die_ref(decl, DW_AT_specification, &next))
			*decl = next;
		else
			break;
	}
}

static bool is_cxx(Dwarf_Die *die)
{
	Dwarf_Die cu;

	if (!dwarf_diecu(die, &cu, NULL, NULL))
		return false;
	switch (dwarf_srclang(&cu)) {
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
		return true;
	default:
		return false;
	}
}

char *symbols_dwarf_name(Dwarf_Die *die)
{
	struct strbuf b = {0};
	Dwarf_Die decl;
	bool is_const;

	declaration_of(die, &decl);
	if (!dwarf_diename(&decl) || !is_cxx(&decl))
		return NULL;
	scoped_name(&b, &decl, 0);
	if (dwarf_tag(&decl) == DW_TAG_subprogram && strcmp(dwarf_diename(&decl), "main") != 0) {
		param_list(&b, &decl, &is_const, 0);
		if (is_const)
			sb_add(&b, " const");
	}
	return b.s;
}
