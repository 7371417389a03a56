/* SPDX-License-Identifier: MIT */
#include "ctl/progress.h"

#include <string.h>
#include <unistd.h>

#include "ctl/output.h"

#define BAR_WIDTH 30

void progress_init(struct progress *p, FILE *f, const char *label)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->label = label;
	p->enabled = isatty(fileno(f));
	p->last_permille = -1;
}

void progress_update(struct progress *p, uint64_t done, uint64_t total)
{
	char bar[BAR_WIDTH + 1], sdone[16], stotal[16];
	int permille, fill;

	p->done = done;
	p->total = total;
	if (!p->enabled)
		return;
	if (done > total)
		done = total;
	permille = total ? (int)(done * 1000 / total) : 1000;
	/* Redraw only when the shown value changes: the callback can be hot. */
	if (permille == p->last_permille)
		return;
	p->last_permille = permille;
	fill = permille * BAR_WIDTH / 1000;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
	bar[BAR_WIDTH] = '\0';
	fprintf(p->f, "\r%s [%s] %3d.%d%% %s/%s\033[K", p->label, bar, permille / 10, permille % 10,
		fmt_size(done, sdone, sizeof(sdone)), fmt_size(total, stotal, sizeof(stotal)));
	fflush(p->f);
	p->drawn = true;
}

void progress_update_fn(void *ctx, uint64_t done, uint64_t total)
{
	progress_update(ctx, done, total);
}

void progress_finish(struct progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", p->f);
		fflush(p->f);
	}
	p->drawn = false;
}
