/* proftop-demo: a small word-frequency pipeline to try proftop on.
 *
 *   generate_text  writes a pseudo-random text of made-up words
 *   tokenize       splits it into lower-case words
 *   count_words    counts them in a hash table (the hot stage; it uses
 *                  hash_word, an inlined helper)
 *   sort_counts    orders the table by count with a recursive quicksort
 *   render         formats the most frequent words
 *
 * Usage: proftop-demo [ROUNDS]   (default 60 rounds, about 5 seconds)
 * Prints one line: the number of words, distinct words, the top three.
 * Try: proftop -- ./proftop-demo      or: proftop report -- ./proftop-demo 10 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS_PER_ROUND 1000000
#define TABLE_BITS 18 /* 256Ki slots: over 3 times the 69904 possible words */
#define MAX_WORD 32

static const char *const syllables[] = {
	"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi",
	"bra", "cle", "dro", "fli", "que", "sti", "an", "or",
};
#define NSYLLABLES (sizeof(syllables) / sizeof(syllables[0]))

struct entry {
	char word[MAX_WORD];
	uint32_t hash;
	uint32_t count;
};

struct table {
	struct entry *slots;
	size_t size, used;
};

/* Each stage stays a function of its own, under its own name. */
#define STAGE __attribute__((noinline, noclone)) static

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Picks a number below n, small ones far more often (a rough Zipf law):
 * n times the product of three uniform fractions. */
static size_t skewed(size_t n)
{
	uint64_t a = rng_next() >> 16, b = rng_next() >> 16, c = rng_next() >> 16;
	return (size_t)((n * a * b * c) >> 48);
}

/* The vocabulary: every word of 1 to 4 syllables, shortest first. */
#define MAX_SYLLABLES 4
static char (*vocabulary)[MAX_WORD];
static unsigned char *vocabulary_length;
static size_t vocabulary_size;

/* Appends every continuation of prefix up to depth more syllables. */
static void spell(char *prefix, size_t len, int depth)
{
	if (depth == 0) {
		memcpy(vocabulary[vocabulary_size], prefix, len + 1);
		vocabulary_length[vocabulary_size++] = (unsigned char)len;
		return;
	}
	for (size_t s = 0; s < NSYLLABLES; s++) {
		size_t l = strlen(syllables[s]);
		memcpy(prefix + len, syllables[s], l + 1);
		spell(prefix, len + l, depth - 1);
	}
}

static int build_vocabulary(void)
{
	size_t n = 0, power = 1;
	char prefix[MAX_WORD];
	for (int d = 1; d <= MAX_SYLLABLES; d++)
		n += power *= NSYLLABLES;
	vocabulary = calloc(n, sizeof(*vocabulary));
	vocabulary_length = malloc(n);
	if (!vocabulary || !vocabulary_length)
		return -1;
	for (int d = 1; d <= MAX_SYLLABLES; d++)
		spell(prefix, 0, d);
	return 0;
}

/* Fills buf with nwords words of the vocabulary (short ones more often),
 * some capitalised, separated by spaces and commas. Returns the length. */
STAGE size_t generate_text(char *buf, size_t cap, size_t nwords)
{
	size_t len = 0;
	for (size_t w = 0; w < nwords && len + MAX_WORD + 1 < cap; w++) {
		uint32_t r = rng_next();
		size_t i = skewed(vocabulary_size);
		memcpy(buf + len, vocabulary[i], MAX_WORD); /* fixed size: fast */
		if (r % 8 == 0)
			buf[len] = (char)(buf[len] - 'a' + 'A');
		len += vocabulary_length[i];
		buf[len++] = (r % 128 < 8) ? ',' : ' ';
	}
	buf[len] = '\0';
	return len;
}

/* Splits text in place into lower-case words; stores pointers in words.
 * Returns the number of words. */
STAGE size_t tokenize(char *text, char **words, size_t max)
{
	size_t n = 0;
	char *p = text;
	while (*p && n < max) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		words[n++] = p;
		while (*p && *p != ' ' && *p != ',') {
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
			p++;
		}
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* FNV-1a, inlined into count_words: proftop shows it as its own function. */
static inline __attribute__((always_inline)) uint32_t hash_word(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

/* Adds every word to the table (open addressing, linear probing). */
STAGE void count_words(struct table *t, char **words, size_t n)
{
	size_t mask = t->size - 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t h = hash_word(words[i]);
		size_t slot = h & mask;
		for (;;) {
			struct entry *e = &t->slots[slot];
			if (e->count == 0) {
				snprintf(e->word, sizeof(e->word), "%s", words[i]);
				e->hash = h;
				e->count = 1;
				t->used++;
				break;
			}
			if (e->hash == h && strcmp(e->word, words[i]) == 0) {
				e->count++;
				break;
			}
			slot = (slot + 1) & mask;
		}
	}
}

/* The sort order: by count, descending, then by hash. Inlined into
 * sort_counts. */
static inline int before(const struct entry *x, const struct entry *y)
{
	return x->count > y->count || (x->count == y->count && x->hash < y->hash);
}

/* Sorts a[lo..hi]: a plain recursive quicksort (recursing into the smaller
 * half keeps the depth at log n). */
STAGE void sort_counts(struct entry **a, long lo, long hi)
{
	while (lo < hi) {
		struct entry *pivot = a[lo + (hi - lo) / 2];
		long i = lo, j = hi;
		while (i <= j) {
			while (before(a[i], pivot))
				i++;
			while (before(pivot, a[j]))
				j--;
			if (i <= j) {
				struct entry *tmp = a[i];
				a[i++] = a[j];
				a[j--] = tmp;
			}
		}
		if (j - lo < hi - i) {
			sort_counts(a, lo, j);
			lo = i;
		} else {
			sort_counts(a, i, hi);
			hi = j;
		}
	}
}

/* Formats the top words as "word:count word:count ...". */
STAGE void render(char *out, size_t cap, struct entry **sorted, size_t n, size_t top)
{
	size_t len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && i < top && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s:%u", i ? " " : "", sorted[i]->word,
					sorted[i]->count);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 60;
	if (rounds <= 0) {
		fprintf(stderr, "usage: %s [ROUNDS > 0]\n", argv[0]);
		return 2;
	}

	size_t cap = WORDS_PER_ROUND * (MAX_WORD + 1) + 1;
	char *text = malloc(cap);
	char **words = malloc(WORDS_PER_ROUND * sizeof(*words));
	struct table t = { calloc((size_t)1 << TABLE_BITS, sizeof(struct entry)),
			   (size_t)1 << TABLE_BITS, 0 };
	struct entry **sorted = malloc(t.size * sizeof(*sorted));
	char top[256];
	size_t total = 0, n = 0;
	if (!text || !words || !t.slots || !sorted || build_vocabulary() != 0) {
		fprintf(stderr, "proftop-demo: out of memory\n");
		return 1;
	}

	for (long r = 0; r < rounds; r++) {
		generate_text(text, cap, WORDS_PER_ROUND);
		size_t nwords = tokenize(text, words, WORDS_PER_ROUND);
		count_words(&t, words, nwords);
		total += nwords;
		n = 0;
		for (size_t i = 0; i < t.size; i++)
			if (t.slots[i].count)
				sorted[n++] = &t.slots[i];
		sort_counts(sorted, 0, (long)n - 1);
		render(top, sizeof(top), sorted, n, 3);
	}
	printf("proftop-demo: %zu words, %zu distinct, top 3: %s\n", total, n, top);
	free(vocabulary_length);
	free(vocabulary);
	free(sorted);
	free(t.slots);
	free(words);
	free(text);
	return 0;
}
