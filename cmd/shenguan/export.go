package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"shenguan/graph/audit"
)

func init() {
	register("export", "导出办件档案（事件 JSON 行、时间线、带链头哈希与 SM3 摘要的清单），可用 verify --dossier 离线校验", runExport)
}

// runExport writes a case's dossier.
func runExport(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "export", "export --case 办件ID --out 目录 [--data-dir 目录 | --database-url 地址]")
	cfg := addStoreFlags(fs)
	caseID := fs.String("case", "", "导出这个`办件`")
	out := fs.String("out", "", "档案写入的`目录`（不存在时创建）")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *caseID == "" || *out == "" {
		return usagef("请给出 --case 和 --out")
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := audit.Reader{Store: s}.Export(ctx, *caseID, *out, time.Now())
	if errors.Is(err, audit.ErrCaseNotFound) {
		return fmt.Errorf("办件 %s 不存在（%s）", *caseID, cfg.describe())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout(ctx), "已导出办件 %s 的档案到 %s：%d 个事件，链头哈希 %s（第 %d 个事件）\n",
		*caseID, *out, m.Events, m.HeadHash, m.LastVersion)
	return nil
}
