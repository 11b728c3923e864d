package main

import (
	"context"
	"fmt"
	"time"

	"shenguan/eventstore"
	"shenguan/graph/audit"
)

func init() {
	register("verify", "校验事件库的 SM3 哈希链（全部流或指定流），发现断裂时退出码为 1", runVerify)
}

// progressEvery is how often verify prints a progress line.
const progressEvery = time.Second

// runVerify walks the whole log (or one stream) and reports the first
// broken link of a hash chain.
func runVerify(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "verify", "verify [--stream 流ID] [--data-dir 目录 | --database-url 地址] | verify --dossier 目录")
	cfg := addStoreFlags(fs)
	stream := fs.String("stream", "", "只校验这个流（`流ID`）；默认校验全部事件")
	dossier := fs.String("dossier", "", "离线校验 shenguan export 导出的档案`目录`（不读事件库）")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dossier != "" {
		if *stream != "" {
			return usagef("--dossier 不能与 --stream 同时使用")
		}
		return verifyDossier(ctx, *dossier)
	}
	s, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	out, errOut := stdout(ctx), stderr(ctx)
	start := time.Now()

	if *stream != "" {
		v, _, err := s.StreamHead(ctx, *stream)
		if err != nil {
			return fmt.Errorf("读取流 %s：%w", *stream, err)
		}
		if v == 0 {
			return fmt.Errorf("流 %s 不存在（%s）", *stream, cfg.describe())
		}
		br, err := eventstore.VerifyStream(ctx, s, *stream)
		if err != nil {
			return err
		}
		if br != nil {
			return broken(ctx, br)
		}
		fmt.Fprintf(out, "校验通过：流 %s 的 %d 个事件哈希链完整（%s）\n", *stream, v, cfg.describe())
		return nil
	}

	var last time.Time
	var done eventstore.VerifyProgress
	br, err := eventstore.VerifyAll(ctx, s, func(p eventstore.VerifyProgress) {
		done = p
		if now := time.Now(); now.Sub(last) >= progressEvery {
			last = now
			fmt.Fprintf(errOut, "校验中：已校验 %d 个事件（位置 %s / 末尾 %s），%d 个流，%.0f 个事件/秒\n",
				p.Events, p.At, p.Head, p.Streams, rate(p.Events, now.Sub(start)))
		}
	})
	if err != nil {
		return err
	}
	if br != nil {
		return broken(ctx, br)
	}
	d := time.Since(start)
	fmt.Fprintf(out, "校验通过：%d 个事件，%d 个流，哈希链完整（%s，用时 %s，%.0f 个事件/秒）\n",
		done.Events, done.Streams, cfg.describe(), d.Round(time.Millisecond), rate(done.Events, d))
	return nil
}

// broken prints the first broken link and returns the exit-1 error.
func broken(ctx context.Context, br *eventstore.Break) error {
	fmt.Fprintf(stdout(ctx), "校验失败：%v\n", br)
	return finding(br)
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// verifyDossier checks an exported dossier offline and names what is wrong.
func verifyDossier(ctx context.Context, dir string) error {
	rep, err := audit.VerifyDossier(dir)
	if err != nil {
		return err
	}
	out := stdout(ctx)
	if rep.OK() {
		fmt.Fprintf(out, "校验通过：档案 %s（办件 %s）的 %d 个事件哈希链完整，链头哈希 %s，文件摘要一致\n",
			dir, rep.Manifest.CaseID, rep.Events, rep.Manifest.HeadHash)
		return nil
	}
	if rep.Break != nil {
		fmt.Fprintf(out, "校验失败：%v\n", rep.Break)
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(out, "校验失败：%s\n", p)
	}
	if rep.Break != nil {
		return finding(rep.Break)
	}
	return finding(fmt.Errorf("dossier: %d problems", len(rep.Problems)))
}
