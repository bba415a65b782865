#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query-int.h"
#include "xalloc.h"

/* ---- call tree ---- */

static uint32_t tree_child(struct call_tree *t, size_t *cap, struct qmap *children, uint32_t parent,
			   uint32_t function)
{
	uint32_t *v = qmap_get(children, parent, function);
	struct tree_node *nd;

	if (*v != PROF_NONE)
		return *v;
	t->nodes = xgrow(t->nodes, cap, t->n + 1, sizeof(*t->nodes));
	*v = (uint32_t)t->n++;
	nd = &t->nodes[*v];
	memset(nd, 0, sizeof(*nd));
	nd->function = function;
	nd->parent = parent;
	nd->first_child = PROF_NONE;
	nd->next_sibling = PROF_NONE;
	nd->depth = t->nodes[parent].depth + 1;
	return *v;
}

struct tree_order {
	const uint32_t *rank; /* the functions' name order (query.c) */
	const struct call_tree *t;
};

static int sibling_cmp(const void *va, const void *vb, void *ctx)
{
	const struct tree_order *o = ctx;
	const struct tree_node *a = &o->t->nodes[*(const uint32_t *)va];
	const struct tree_node *b = &o->t->nodes[*(const uint32_t *)vb];
	uint32_t ra, rb;

	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	if (a->total_ns != b->total_ns)
		return a->total_ns > b->total_ns ? -1 : 1;
	/* name, then id: what the rank orders by, without a strcmp */
	ra = o->rank[a->function];
	rb = o->rank[b->function];
	return ra < rb ? -1 : ra > rb;
}

/* Link each node's children, hottest first: the nodes bucketed by parent
 * (a counting sort), then each family sorted on its own. */
void query_tree_link(const struct profile *p, struct call_tree *t)
{
	struct tree_order ctx = {query_name_ranks(p), t};
	uint32_t *order, *start;
	size_t i, n = t->n - 1;

	if (n == 0)
		return;
	order = xmalloc(n * sizeof(*order));
	start = xcalloc(t->n + 1, sizeof(*start));
	for (i = 1; i < t->n; i++)
		start[t->nodes[i].parent + 1]++;
	for (i = 0; i < t->n; i++)
		start[i + 1] += start[i];
	for (i = 1; i < t->n; i++)
		order[start[t->nodes[i].parent]++] = (uint32_t)i;
	/* start[k] is now the end of k's family, the start of k + 1's */
	for (size_t k = 0, from = 0; k < t->n; from = start[k++]) {
		size_t m = start[k] - from;

		if (!m)
			continue;
		if (m > 1)
			qsort_r(order + from, m, sizeof(*order), sibling_cmp, &ctx);
		t->nodes[k].first_child = order[from];
		for (size_t c = from; c + 1 < start[k]; c++)
			t->nodes[order[c]].next_sibling = order[c + 1];
	}
	free(start);
	free(order);
}

void query_call_tree(const struct profile *p, const struct query_filter *f, struct call_tree *out)
{
	struct agg a;

	agg_build(p, f, &a);
	query_tree_from_agg(p, &a, out);
	agg_free(&a);
}

/* The tree node of stack trie node s, made with its path: the path of
 * its parent's (memo, by stack id), then its location's frames, outermost
 * first. Each trie node is walked once per tree, not once per stack
 * through it; the nodes come out in the same order as frame by frame. */
static uint32_t tree_node_of(const struct profile *p, struct call_tree *t, size_t *cap,
			     struct qmap *children, uint32_t *memo, bool outer_only,
			     uint32_t **path, size_t *path_cap, uint32_t s)
{
	size_t n = 0;
	uint32_t node;

	for (; memo[s] == PROF_NONE; s = p->stacks[s].parent) {
		*path = xgrow(*path, path_cap, n + 1, sizeof(**path));
		(*path)[n++] = s;
	}
	node = memo[s];
	while (n-- > 0) {
		uint32_t loc = p->stacks[(*path)[n]].location;

		if (loc < p->nlocations) {
			const struct prof_location *l = &p->locations[loc];

			for (uint32_t j = l->nlines; j-- > 0;) {
				if (outer_only && j + 1 < l->nlines)
					continue; /* inlined: folds into its function */
				node = tree_child(t, cap, children, node,
						  p->lines[l->first_line + j].function);
			}
		}
		memo[(*path)[n]] = node;
	}
	return node;
}

void query_tree_from_agg(const struct profile *p, struct agg *a, struct call_tree *out)
{
	struct qmap children = {0};
	size_t cap = 0, k, i, path_cap = 0;
	uint32_t *memo = xmalloc((p->nstacks ? p->nstacks : 1) * sizeof(*memo)), *path = NULL;

	for (i = 0; i < p->nstacks; i++)
		memo[i] = PROF_NONE;
	memo[0] = 0; /* the root of the trie is the root of the tree */
	memset(out, 0, sizeof(*out));
	out->nodes = xgrow(NULL, &cap, 1, sizeof(*out->nodes));
	memset(&out->nodes[0], 0, sizeof(out->nodes[0]));
	out->nodes[0].function = PROF_NONE;
	out->nodes[0].parent = PROF_NONE;
	out->nodes[0].first_child = PROF_NONE;
	out->nodes[0].next_sibling = PROF_NONE;
	out->n = 1;
	out->total_ns = a->total_ns;
	for (k = 0; k < a->n; k++) {
		const struct stack_sum *s = &a->by_stack[a->stacks[k]];
		uint32_t node = tree_node_of(p, out, &cap, &children, memo, a->outer_only, &path,
					     &path_cap, a->stacks[k]);

		out->nodes[node].self_ns += s->ns;
		out->nodes[node].self_samples += s->samples;
	}
	free(memo);
	free(path);
	/* A child is always created after its parent, so one backward pass
	 * finishes every subtree before adding it to its parent. */
	for (i = 0; i < out->n; i++) {
		out->nodes[i].total_ns = out->nodes[i].self_ns;
		out->nodes[i].total_samples = out->nodes[i].self_samples;
	}
	for (i = out->n; i-- > 1;) {
		struct tree_node *nd = &out->nodes[i];

		out->nodes[nd->parent].total_ns += nd->total_ns;
		out->nodes[nd->parent].total_samples += nd->total_samples;
	}
	query_tree_link(p, out);
	qmap_free(&children);
}

void call_tree_free(struct call_tree *t)
{
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}
