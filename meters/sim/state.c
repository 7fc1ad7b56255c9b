/*
 * The state file: counters, relay and serial per meter, so a restarted
 * simulator does not look like a park full of reset meters. Written to a
 * temporary file and renamed, every 10 s and at exit.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/xmalloc.h"
#include "meters/sim/sim.h"

#define STATE_MAX_BYTES (64 * 1024 * 1024)

static int
get_i64(const cJSON *o, const char *key, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 9007199254740992.0)
		return -1;
	*out = (int64_t)v->valuedouble;
	return 0;
}

int
state_load(struct sim *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	cJSON *root;
	const cJSON *meters;
	int64_t saved_ms;
	int loaded = 0;

	if (f == NULL) {
		log_error("state file %s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(STATE_MAX_BYTES + 1);
	n = fread(buf, 1, STATE_MAX_BYTES + 1, f);
	fclose(f);
	root = n <= STATE_MAX_BYTES ? cJSON_ParseWithLength(buf, n) : NULL;
	free(buf);
	if (root == NULL || get_i64(root, "sim_time_ms", &saved_ms) != 0 ||
	    !cJSON_IsObject(meters = cJSON_GetObjectItemCaseSensitive(root, "meters"))) {
		log_error("state file %s: not a simulator state file", path);
		cJSON_Delete(root);
		return -1;
	}
	/* the simulated clock never runs backwards over a restart */
	if (saved_ms > s->start_real_ms)
		s->start_real_ms = saved_ms;
	for (int i = 0; i < s->nmeters; i++) {
		struct sim_meter *m = &s->meters[i];
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(meters, m->id), *t, *v;
		int64_t cnt, rem, at, tou[SIM_TOU_BANDS], rep = 0;
		int k = 0;

		if (o == NULL)
			continue;
		t = cJSON_GetObjectItemCaseSensitive(o, "tou_mwh");
		if (get_i64(o, "counter_mwh", &cnt) || get_i64(o, "rem", &rem) || get_i64(o, "sim_ms", &at) ||
		    !cJSON_IsArray(t) || cJSON_GetArraySize(t) != SIM_TOU_BANDS) {
			log_error("state file %s: meters.%s is incomplete", path, m->id);
			cJSON_Delete(root);
			return -1;
		}
		for (const cJSON *e = t->child; e; e = e->next)
			tou[k++] = cJSON_IsNumber(e) ? (int64_t)e->valuedouble : 0;
		get_i64(o, "replaced", &rep);
		m->counter_mwh = cnt;
		m->rem = rem;
		memcpy(m->tou_mwh, tou, sizeof tou);
		/* the meters kept counting while the simulator was down */
		m->sim_ms = at < s->start_real_ms ? at : s->start_real_ms;
		m->supply_on = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "supply_on"));
		m->replaced = (int)rep;
		if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(o, "serial")))
			snprintf(m->serial, sizeof m->serial, "%s", v->valuestring);
		loaded++;
	}
	cJSON_Delete(root);
	log_info("state file %s: %d of %d meters restored", path, loaded, s->nmeters);
	return 0;
}

int
state_save(struct sim *s, const char *path)
{
	cJSON *root = cJSON_CreateObject(), *meters;
	char tmp[4200], *text;
	int64_t now = sim_now(s);
	FILE *f;
	int rc = -1;

	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddNumberToObject(root, "sim_time_ms", (double)now);
	meters = cJSON_AddObjectToObject(root, "meters");
	for (int i = 0; i < s->nmeters; i++) {
		struct sim_meter *m = &s->meters[i];
		cJSON *o = cJSON_AddObjectToObject(meters, m->id), *t;

		pthread_mutex_lock(&m->lock);
		model_advance(m, now);
		cJSON_AddNumberToObject(o, "counter_mwh", (double)m->counter_mwh);
		cJSON_AddNumberToObject(o, "rem", (double)m->rem);
		cJSON_AddNumberToObject(o, "sim_ms", (double)m->sim_ms);
		t = cJSON_AddArrayToObject(o, "tou_mwh");
		for (int b = 0; b < SIM_TOU_BANDS; b++)
			cJSON_AddItemToArray(t, cJSON_CreateNumber((double)m->tou_mwh[b]));
		cJSON_AddBoolToObject(o, "supply_on", m->supply_on);
		cJSON_AddStringToObject(o, "serial", m->serial);
		cJSON_AddNumberToObject(o, "replaced", m->replaced);
		pthread_mutex_unlock(&m->lock);
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "wb")) == NULL)
		log_error("state file %s: %s", tmp, strerror(errno));
	else if (fputs(text, f) < 0 || fputc('\n', f) < 0 || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		log_error("state file %s: write failed: %s", tmp, strerror(errno));
		fclose(f);
	} else if (fclose(f) != 0 || rename(tmp, path) != 0)
		log_error("state file %s: %s", path, strerror(errno));
	else
		rc = 0;
	free(text);
	return rc;
}
