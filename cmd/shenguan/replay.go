package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"shenguan/graph/audit"
	"shenguan/projections/rmstore"
)

func init() {
	register("replay", "重放办件历史（--case，可读时间线或 --json）；--all --check 由事件日志重建全部读模型并与存储的读模型逐行比较", runReplay)
}

// runReplay prints a case's timeline, or checks every read model against
// a rebuild from the log.
func runReplay(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "replay", "replay --case 办件ID [--json] | replay --all --check  [--data-dir 目录 | --database-url 地址]")
	cfg := addStoreFlags(fs)
	caseID := fs.String("case", "", "重放这个`办件`的全部事件")
	asJSON := fs.Bool("json", false, "以 JSON 输出（每个事件一个对象），供程序使用")
	all := fs.Bool("all", false, "处理全部读模型（与 --check 一起使用）")
	check := fs.Bool("check", false, "在临时库中由事件日志重建读模型，与存储的读模型逐表逐行比较；有差异时退出码为 1")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case *caseID != "" && (*all || *check):
		return usagef("--case 不能与 --all/--check 同时使用")
	case *caseID == "" && !(*all && *check):
		return usagef("请给出 --case 办件ID，或 --all --check")
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if *caseID != "" {
		h, err := audit.Reader{Store: s}.History(ctx, *caseID)
		if errors.Is(err, audit.ErrCaseNotFound) {
			return fmt.Errorf("办件 %s 不存在（%s）", *caseID, cfg.describe())
		}
		if err != nil {
			return err
		}
		lines := audit.Timeline(h)
		if *asJSON {
			enc := json.NewEncoder(stdout(ctx))
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"caseId": *caseID, "events": lines})
		}
		return audit.WriteTimeline(stdout(ctx), *caseID, lines)
	}

	stored, err := openReadModels(ctx, cfg, s)
	if err != nil {
		return err
	}
	defer stored.Close()
	tmp, err := os.MkdirTemp("", "shenguan-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fresh, err := rmstore.OpenSQLite(ctx, filepath.Join(tmp, "readmodels.db"))
	if err != nil {
		return fmt.Errorf("无法创建临时读模型库：%w", err)
	}
	defer fresh.Close()
	fmt.Fprintf(stderr(ctx), "由事件日志重建读模型 %v 并比较（%s）\n", readModelNames(), cfg.describe())
	rep, err := audit.CheckReadModels(ctx, s, stored, fresh, readModels())
	if err != nil {
		return err
	}
	out := stdout(ctx)
	for _, d := range rep.Differences {
		fmt.Fprintf(out, "差异：%s\n", d)
	}
	for _, n := range readModelNames() {
		if pos, ok := rep.Positions[n]; ok {
			fmt.Fprintf(out, "%s：比较到位置 %s，%d 行\n", n, pos, rep.Rows[n])
		}
	}
	if len(rep.Differences) > 0 {
		fmt.Fprintf(out, "检查失败：读模型与事件日志重建结果有 %d 处差异\n", len(rep.Differences))
		return finding(fmt.Errorf("%d differences", len(rep.Differences)))
	}
	fmt.Fprintln(out, "检查通过：全部读模型与事件日志重建结果一致")
	return nil
}
