package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"shenguan/projections"
)

func init() {
	register("rebuild", "从头重建读模型（默认全部），带进度条；重建期间查询仍读旧表", runRebuild)
}

// runRebuild rebuilds the named read models (all when none is named) from
// position zero into fresh tables and switches over (projections.Rebuild),
// then brings them up to the log's current end. Progress goes to stderr.
func runRebuild(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "rebuild", "rebuild [--data-dir 目录 | --database-url 地址] [读模型…]\n\n读模型："+strings.Join(readModelNames(), " "))
	c := addStoreFlags(fs)
	batch := fs.Int("batch", 0, "每次读取的事件`数`（默认 1000）")
	commit := fs.Int("commit-every", 0, "每个事务大约提交的事件`数`（默认 10000）")
	names, err := parseNames(fs, args)
	if err != nil {
		return err
	}
	projs, err := selectReadModels(names)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	db, err := openReadModels(ctx, c, store)
	if err != nil {
		return err
	}
	defer db.Close()

	names = make([]string, len(projs))
	for i, p := range projs {
		names[i] = p.Name()
	}
	w := stderr(ctx)
	fmt.Fprintf(w, "重建读模型 %s（%s）\n", strings.Join(names, "、"), c.describe())
	bar := newProgressBar(w)
	err = projections.Rebuild(ctx, store, db, projs, projections.RebuildOptions{
		ReadBatch: *batch, CommitEvery: *commit, Progress: bar.update})
	bar.finish()
	if err != nil {
		return fmt.Errorf("重建失败（原有读模型未受影响）：%w", err)
	}
	// Events appended while the rebuild ran: apply them now (a live
	// runner would too; the checkpoint check applies each exactly once).
	r, err := projections.New(store, db, projections.Options{}, projs...)
	if err != nil {
		return err
	}
	if err := r.RunToEnd(ctx); err != nil {
		return fmt.Errorf("重建完成，但追赶最新事件失败：%w", err)
	}
	fmt.Fprintln(w, "重建完成，已切换到新表")
	return nil
}

// parseNames parses flags and read-model names in any order.
func parseNames(fs *flag.FlagSet, args []string) ([]string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &exitErr{code: exitError, err: err, silent: true}
		}
		if fs.NArg() == 0 {
			return names, nil
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// selectReadModels returns the read models named (all when names is
// empty), in the order of readModels. An unknown name is a usage error.
func selectReadModels(names []string) ([]projections.Projection, error) {
	all := readModels()
	if len(names) == 0 {
		return all, nil
	}
	known := readModelNames()
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, usagef("未知的读模型 %q（可选：%s）", n, strings.Join(known, " "))
		}
	}
	var out []projections.Projection
	for _, p := range all {
		if slices.Contains(names, p.Name()) {
			out = append(out, p)
		}
	}
	return out, nil
}

// progressBar draws rebuild progress on a terminal (one line redrawn in
// place) or, on anything else, as a line at most every few seconds.
type progressBar struct {
	w     io.Writer
	tty   bool
	last  time.Time
	drawn bool
}

func newProgressBar(w io.Writer) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, tty: tty}
}

func (b *progressBar) update(p projections.Progress) {
	now := time.Now()
	every := 5 * time.Second
	if b.tty {
		every = 200 * time.Millisecond
	}
	if !p.Done && b.drawn && now.Sub(b.last) < every {
		return
	}
	b.last, b.drawn = now, true
	line := formatProgress(p)
	if b.tty {
		fmt.Fprintf(b.w, "\r\033[K%s", line)
		if p.Done {
			fmt.Fprintln(b.w)
		}
		return
	}
	fmt.Fprintln(b.w, line)
}

// finish ends a line left open on a terminal.
func (b *progressBar) finish() {
	if b.tty && b.drawn {
		b.drawn = false
		fmt.Fprintln(b.w)
	}
}

// formatProgress renders one progress line: bar, percentage, events done,
// events/s and ETA (the bar, percentage and ETA only when estimable).
func formatProgress(p projections.Progress) string {
	const width = 30
	var sb strings.Builder
	frac := p.Fraction
	if p.Done {
		frac = 1
	}
	if frac > 0 {
		frac = min(frac, 1)
		n := int(frac * width)
		fmt.Fprintf(&sb, "[%s%s] %5.1f%%  ", strings.Repeat("#", n), strings.Repeat("-", width-n), frac*100)
	}
	fmt.Fprintf(&sb, "%d 事件  %.0f 事件/秒  用时 %s", p.Events, p.PerSecond, p.Elapsed.Round(time.Second))
	switch {
	case p.Done:
		sb.WriteString("  完成")
	case p.ETA > 0:
		fmt.Fprintf(&sb, "  剩余约 %s", p.ETA.Round(time.Second))
	}
	return sb.String()
}
