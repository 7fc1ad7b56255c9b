/*
 * Read plan: the few register blocks that cover a meter's billing counter
 * and its TOU bands, so a routine read is one request where the map
 * allows (fewer transactions = a shorter bus cycle).
 */
#include <stdio.h>
#include <string.h>
#include "meters/poller/poller.h"

#define PLAN_MERGE_GAP 16	/* registers of gap still worth reading in one request */

static const enum profile_quantity wanted[] = {
	PQ_ENERGY_IMPORT, PQ_ENERGY_SHARP, PQ_ENERGY_PEAK, PQ_ENERGY_FLAT, PQ_ENERGY_VALLEY,
};
#define NWANTED (int)(sizeof wanted / sizeof wanted[0])

int
plan_blocks(const struct profile *p, struct pmeter *m, char *err, size_t errlen)
{
	int idx[NWANTED], n = 0;

	m->nblocks = 0;
	for (int i = 0; i < NWANTED; i++) {
		if (i > 0 && !p->has_tou)
			break;
		if (p->reg[wanted[i]].present)
			idx[n++] = i;
	}
	if (n == 0 || !p->reg[PQ_ENERGY_IMPORT].present) {
		snprintf(err, errlen, "profile %s has no energy_import register", p->name);
		return -1;
	}
	/* by (fc, address): a handful, insertion sort */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0; j--) {
			const struct profile_register *a = &p->reg[wanted[idx[j - 1]]], *b = &p->reg[wanted[idx[j]]];
			if (a->fc < b->fc || (a->fc == b->fc && a->address <= b->address))
				break;
			int t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		const struct profile_register *r = &p->reg[wanted[idx[i]]];
		int words = codec_words(r->field.type);
		if (m->nblocks > 0) {
			struct pblock *b = &m->blocks[m->nblocks - 1];
			int end = r->address + words;
			if (b->fc == r->fc && r->address <= b->addr + b->count + PLAN_MERGE_GAP &&
			    end - b->addr <= p->max_read) {
				if (end > b->addr + b->count)
					b->count = (uint16_t)(end - b->addr);
				continue;
			}
		}
		if (m->nblocks == POLLER_MAX_BLOCKS) {
			snprintf(err, errlen, "profile %s: the counters need more than %d reads", p->name,
			    POLLER_MAX_BLOCKS);
			return -1;
		}
		m->blocks[m->nblocks].fc = r->fc;
		m->blocks[m->nblocks].addr = r->address;
		m->blocks[m->nblocks].count = (uint16_t)words;
		m->nblocks++;
	}
	return 0;
}

static int
decode_one(const struct pmeter *m, uint16_t *const words[], enum profile_quantity q, int64_t *out)
{
	const struct profile_register *r = &m->prof->reg[q];

	for (int b = 0; b < m->nblocks; b++)
		if (m->blocks[b].fc == r->fc && r->address >= m->blocks[b].addr &&
		    r->address + codec_words(r->field.type) <= m->blocks[b].addr + m->blocks[b].count)
			return codec_decode(&r->field, words[b] + (r->address - m->blocks[b].addr), out);
	return -1;
}

int
plan_decode(const struct pmeter *m, uint16_t *const words[], int64_t *import_milli, int *has_tou,
    int64_t tou_milli[4])
{
	*has_tou = 0;
	if (decode_one(m, words, PQ_ENERGY_IMPORT, import_milli) != 0 || *import_milli < 0)
		return -1;
	if (!m->prof->has_tou)
		return 0;
	for (int i = 0; i < 4; i++)
		if (decode_one(m, words, (enum profile_quantity)(PQ_ENERGY_SHARP + i), &tou_milli[i]) != 0 ||
		    tou_milli[i] < 0)
			return 0;	/* bands unusable: bill by the schedule */
	*has_tou = 1;
	return 0;
}

/* The counter's resolution: integers step by 10^scale, float32 by its ulp. */
int64_t
plan_tolerance(const struct profile *p, int64_t value_milli)
{
	const struct codec_field *f = &p->reg[PQ_ENERGY_IMPORT].field;
	int64_t step = 1;

	if (f->type == CODEC_FLOAT32)
		return 2 * (value_milli >> 23) + 2;
	for (int e = f->scale_exp + 3; e > 0; e--)
		step *= 10;
	return step;
}
