package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"shenguan/domain"
	"shenguan/domain/assessment"
	"shenguan/domain/calendar"
	"shenguan/domain/consultation"
	"shenguan/domain/directory"
	"shenguan/domain/problem"
	"shenguan/domain/scorecard"
	"shenguan/domain/summary"
	"shenguan/eventstore"
	"shenguan/graph/auth"
	"shenguan/graph/service"
	"shenguan/projections"
	"shenguan/projections/creditpm"
	"shenguan/projections/rmstore"
	"shenguan/projections/scheduler"
)

func init() {
	register("demo", "载入演示数据（东丽区：单位、事项、协调员、数百件办件、会商、抽查）并打印试用令牌", runDemo)
}

// demoConfig configures a demo load.
type demoConfig struct {
	Store storeConfig
	// Cases is the number of cases; Seed makes the content reproducible.
	Cases int
	Seed  uint64
	// Bulk adds that many plain cases (a push and its receipt) for load
	// measurements: a large case list with the demo's matters and units.
	Bulk int
	// Until is the end of the demo's history (the demo clock ends just
	// before its day); the history starts about six months earlier.
	Until time.Time
	// Workers run the cases' scripts concurrently (one service each, with
	// its own clock).
	Workers int
	// Progress receives progress lines (nil: none).
	Progress io.Writer
	// Logger gets the projections' and process managers' warnings.
	Logger *slog.Logger
}

// demoReport is what a demo load did.
type demoReport struct {
	Units, Matters, Coordinators, Cases int
	// Commands counts the commands issued, Appended the events they
	// appended, Repeated the commands a previous run had already handled
	// (they append nothing: the command ids are deterministic).
	Commands, Appended, Repeated int
	// Credit and Deadlines are what the credit process manager and the
	// deadline scheduler appended at the end.
	Credit            creditpm.Report
	Warned, Missed    int
	Scenarios         map[string]int
	Duration          time.Duration
	From, Until       time.Time
	SamplingDrawn     []string
	RelatedProblemIDs []string
}

// runDemo is the demo subcommand.
func runDemo(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "demo", "demo [--cases N] [--seed S] [--until 时间] [--data-dir 目录 | --database-url 地址]")
	store := addStoreFlags(fs)
	jc := addJWTFlags(fs, false)
	cfg := demoConfig{Progress: stderr(ctx)}
	fs.IntVar(&cfg.Cases, "cases", 300, "办件`数量`（至少 "+fmt.Sprint(len(demoScenarios))+"，每种状态至少一件）")
	fs.IntVar(&cfg.Bulk, "bulk", 0, "另外载入的简单办件`数量`（推送并查收；用于压测大量办件时的查询速度）")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "随机`种子`：同一种子生成相同的数据；再次运行不会重复写入")
	until := fs.String("until", "", "演示历史的截止`时间`（RFC 3339，默认当前时间）；历史从其前约半年开始")
	fs.IntVar(&cfg.Workers, "workers", 4, "并发写入的`数量`")
	ttl := fs.Duration("ttl", 12*time.Hour, "试用令牌的有效`时长`")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg.Store = *store
	cfg.Until = time.Now()
	if *until != "" {
		t, err := time.Parse(time.RFC3339, *until)
		if err != nil {
			return usagef("--until %q 不是 RFC 3339 时间", *until)
		}
		cfg.Until = t
	}
	if cfg.Workers < 1 {
		return usagef("--workers 至少为 1")
	}
	if cfg.Bulk < 0 || cfg.Bulk > demoMaxBulk {
		return usagef("--bulk 应在 [0, %d] 之间", demoMaxBulk)
	}
	if *ttl <= 0 {
		return usagef("--ttl 必须为正")
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr(ctx), &slog.HandlerOptions{Level: slog.LevelWarn}))
	secret, err := jc.hs256Secret(cfg.Store.DataDir, true)
	if err != nil {
		return err
	}
	rep, err := loadDemo(ctx, cfg)
	if err != nil {
		return err
	}
	w := stderr(ctx)
	fmt.Fprintf(w, "演示数据已载入 %s：%d 个单位、%d 个事项、%d 名协调员、%d 件办件（%s 至 %s）\n",
		cfg.Store.describe(), rep.Units, rep.Matters, rep.Coordinators, rep.Cases,
		calendar.DateOf(rep.From), calendar.DateOf(rep.Until))
	fmt.Fprintf(w, "命令 %d 条：新写入事件 %d 个，%d 条已由先前的运行处理（未重复写入）；信用记录 %d 条；时限预警 %d 个、逾期 %d 个；用时 %s\n",
		rep.Commands, rep.Appended, rep.Repeated, rep.Credit.Recorded, rep.Warned, rep.Missed, rep.Duration.Round(time.Millisecond))
	return printDemoTokens(stdout(ctx), secret, jc.Audience, *ttl)
}

// demoTokenActors are the people whose tokens the demo prints.
func demoTokenActors() []struct {
	Var, Label string
	Actor      domain.Actor
} {
	return []struct {
		Var, Label string
		Actor      domain.Actor
	}{
		{"SG_OFFICE", "区政务服务办（SERVICE_OFFICE）", demoOffice()},
		{"SG_APPROVER", "区政务服务办审批员（APPROVER）", demoApprover(officeID)},
		{"SG_SUPERVISOR", "区市场监管局监管员（SUPERVISOR）", demoSupervisor("scjgj")},
		{"SG_COORDINATOR", "区市场监管局一级协调员（COORDINATOR_L1）", demoCoordinator("scjgj", 1)},
		{"SG_AUDITOR", "审计员（AUDITOR）", demoAuditor()},
	}
}

// printDemoTokens mints a token per demo role, as shenguan token does, and
// prints them as shell assignments with a sample request.
func printDemoTokens(w io.Writer, secret []byte, audience string, ttl time.Duration) error {
	fmt.Fprintf(w, "# 试用令牌（HS256，受众 %s，有效期 %s）。在 shell 中执行以下各行，然后运行 shenguan serve：\n", audience, ttl)
	for _, t := range demoTokenActors() {
		tok, err := auth.Mint(secret, audience, t.Actor, time.Now(), ttl)
		if err != nil {
			return fmt.Errorf("签发令牌：%w", err)
		}
		fmt.Fprintf(w, "export %s='%s'  # %s %s\n", t.Var, tok, t.Label, t.Actor.Name)
	}
	_, err := fmt.Fprint(w, `# 示例：市场监管局的待查收推送
curl -s http://localhost:8080/graphql -H "Authorization: Bearer $SG_SUPERVISOR" -H 'Content-Type: application/json' \
  -d '{"query":"{ me { name unit roles } inbox(first: 5) { totalCount nodes { case { id status matterName subjectName } } } }"}'
`)
	return err
}

// demoClock is the clock of one service: set before each command to the
// historical time of the act.
type demoClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *demoClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *demoClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// fixedClock is the scheduler's clock at the end of the demo.
type fixedClock time.Time

func (c fixedClock) Now() time.Time                       { return time.Time(c) }
func (fixedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// demoLoader loads the demo through the application service.
type demoLoader struct {
	cfg    demoConfig
	store  eventstore.Store
	db     rmstore.DB
	runner *projections.Runner
	cal    domain.Calendar
	office *service.Service
	clock  *demoClock

	commands, appended, repeated atomic.Int64
}

// loadDemo writes the demo district into the configured store through the
// same commands users issue (graph/service), then runs the credit process
// manager and one pass of the deadline scheduler at cfg.Until.
func loadDemo(ctx context.Context, cfg demoConfig) (demoReport, error) {
	began := time.Now()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	sh := calendar.Location()
	cfg.Until = cfg.Until.In(sh)
	scripts, err := planCases(cfg.Seed, cfg.Cases)
	if err != nil {
		return demoReport{}, err
	}
	bulk := planBulk(cfg.Seed, cfg.Bulk)

	store, _, err := openServeStore(ctx, &cfg.Store)
	if err != nil {
		return demoReport{}, err
	}
	defer store.Close()
	db, err := openReadModels(ctx, &cfg.Store, store)
	if err != nil {
		return demoReport{}, err
	}
	defer db.Close()
	runner, err := projections.New(store, db, projections.Options{Logger: cfg.Logger}, readModels()...)
	if err != nil {
		return demoReport{}, err
	}
	if err := runner.Setup(ctx); err != nil {
		return demoReport{}, fmt.Errorf("准备读模型：%w", err)
	}
	rctx, stopRunner := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- runner.Run(rctx) }()
	defer func() { stopRunner(); <-ran }()

	d := &demoLoader{cfg: cfg, store: store, db: db, runner: runner, clock: &demoClock{}}
	// No command of the demo reads its own write back, so none waits for
	// the projections; catchUp waits where a later step reads a read model
	// (a push reads its matter).
	if d.office, err = d.service(d.clock); err != nil {
		return demoReport{}, err
	}
	if d.cal, err = d.office.Calendar(ctx); err != nil {
		return demoReport{}, err
	}

	rep := demoReport{Until: cfg.Until, Cases: len(scripts) + len(bulk), Scenarios: map[string]int{}}
	rep.From = d.workingDay(cfg.Until.AddDate(0, -6, 0), 0, 9, 0)
	setup := d.workingDay(rep.From.AddDate(0, 0, -14), 0, 9, 0)
	if err := d.directory(ctx, setup, &rep); err != nil {
		return rep, err
	}
	if err := d.rubrics(ctx, setup.Add(2*time.Hour), rep.From.Year(), cfg.Until.Year()); err != nil {
		return rep, err
	}
	// The bulk cases come after the demo's, so that a demo's scripts and
	// their times do not depend on --bulk.
	all := append(slices.Clip(scripts), bulk...)
	if err := d.schedule(all, rep.From); err != nil {
		return rep, err
	}
	for _, s := range all {
		rep.Scenarios[s.Scenario]++
	}
	if err := d.runCases(ctx, all); err != nil {
		return rep, err
	}
	if err := d.coordination(ctx, scripts, &rep); err != nil {
		return rep, err
	}
	if err := d.assessment(ctx, scripts, &rep); err != nil {
		return rep, err
	}

	// The process managers serve would run: the credit entries of the
	// revocations with dishonesty, and the deadline tiers and misses as of
	// the end of the demo.
	pm, err := creditpm.New(store, db, creditpm.Options{Logger: cfg.Logger})
	if err != nil {
		return rep, err
	}
	if err := pm.Setup(ctx); err != nil {
		return rep, err
	}
	if rep.Credit, err = pm.RunToEnd(ctx); err != nil {
		return rep, fmt.Errorf("信用记录：%w", err)
	}
	sched, err := scheduler.New(store, db, runner, scheduler.Options{Catalog: runner.Catalog(),
		Broker: runner.Broker(), Clock: fixedClock(cfg.Until), Logger: cfg.Logger})
	if err != nil {
		return rep, err
	}
	sr, err := sched.Step(ctx)
	if err != nil {
		return rep, fmt.Errorf("时限预警：%w", err)
	}
	rep.Warned, rep.Missed = sr.Warned, sr.Missed
	if err := d.catchUp(ctx); err != nil {
		return rep, err
	}
	rep.Commands, rep.Appended, rep.Repeated = int(d.commands.Load()), int(d.appended.Load()), int(d.repeated.Load())
	rep.Duration = time.Since(began)
	return rep, nil
}

// service returns a service whose clock is clk.
func (d *demoLoader) service(clk *demoClock) (*service.Service, error) {
	return service.New(context.Background(), service.Config{Store: d.store, DB: d.db, Catalog: d.runner.Catalog(),
		Now: clk.Now, Logger: d.cfg.Logger})
}

// catchUp waits until the read models have applied the whole log.
func (d *demoLoader) catchUp(ctx context.Context) error {
	head, err := d.store.Head(ctx)
	if err != nil {
		return err
	}
	if err := d.runner.WaitFor(ctx, head); err != nil {
		return fmt.Errorf("等待读模型：%w", err)
	}
	return nil
}

// count records a command's result.
func (d *demoLoader) count(r service.Result) {
	d.commands.Add(1)
	if r.Duplicate {
		d.repeated.Add(1)
	} else {
		d.appended.Add(int64(len(r.Events)))
	}
}

// workingDay returns the working day n working days after (n > 0) or
// before (n < 0) the day of t — the day itself when it is a working day and
// n is 0, otherwise the next one — at hh:mm in Asia/Shanghai.
func (d *demoLoader) workingDay(t time.Time, n, hh, mm int) time.Time {
	day := calendar.StartOfDay(t)
	next := func(step int) { day = calendar.StartOfDay(day.AddDate(0, 0, step).Add(2 * time.Hour)) }
	working := func() bool { ok, _ := d.cal.IsWorkingDay(day); return ok }
	for !working() {
		next(1)
	}
	for ; n > 0; n-- {
		next(1)
		for !working() {
			next(1)
		}
	}
	for ; n < 0; n++ {
		next(-1)
		for !working() {
			next(-1)
		}
	}
	return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, calendar.Location())
}

// directory registers the units, defines the matters and appoints the
// coordinators, as the district office.
func (d *demoLoader) directory(ctx context.Context, at time.Time, rep *demoReport) error {
	office := demoOffice()
	i := 0
	do := func(op, key string, f func(service.Meta) (service.Result, error)) error {
		d.clock.Set(at.Add(time.Duration(i) * 20 * time.Second))
		i++
		r, err := f(service.Meta{Operation: op, CommandID: "demo-" + key, RequestID: "demo-directory"})
		if err != nil {
			return fmt.Errorf("演示数据 %s %s：%w", op, key, err)
		}
		d.count(r)
		return nil
	}
	for _, u := range demoUnits {
		c := directory.RegisterUnit{Actor: office, UnitID: u.ID, Name: u.Name, Kinds: u.Kinds, Sections: u.Sections}
		if err := do("registerUnit", "unit-"+u.ID, func(m service.Meta) (service.Result, error) { return d.office.Unit(ctx, m, c) }); err != nil {
			return err
		}
		rep.Units++
	}
	for _, mt := range demoMatters {
		c := directory.DefineMatter{Actor: office, Matter: mt.Matter}
		if err := do("defineMatter", "matter-"+mt.Code, func(m service.Meta) (service.Result, error) { return d.office.Matter(ctx, m, c) }); err != nil {
			return err
		}
		rep.Matters++
	}
	for _, u := range demoUnits {
		var codes, sections []string
		for _, mt := range demoMatters {
			if mt.ApprovingUnit == u.ID || slices.Contains(mt.SupervisingUnits, u.ID) {
				codes = append(codes, mt.Code)
			}
		}
		if u.ID == officeID {
			codes = nil
			for _, s := range u.Sections {
				sections = append(sections, s.ID)
			}
		}
		for level := 1; level <= 3; level++ {
			a := demoCoordinator(u.ID, level)
			c := directory.AppointCoordinator{Actor: office, UnitID: u.ID, PersonID: a.ID, Name: a.Name, Level: level}
			if level == 2 {
				c.MatterCodes, c.SectionIDs = codes, sections
			}
			if err := do("appointCoordinator", fmt.Sprintf("coordinator-%s-%d", u.ID, level), func(m service.Meta) (service.Result, error) {
				return d.office.Unit(ctx, m, c)
			}); err != nil {
				return err
			}
			rep.Coordinators++
		}
	}
	return nil
}

// rubrics publishes the default assessment rubric of each year.
func (d *demoLoader) rubrics(ctx context.Context, at time.Time, from, to int) error {
	for y := from; y <= to; y++ {
		d.clock.Set(at)
		r, err := d.office.Assessment(ctx, service.Meta{Operation: "publishRubric", CommandID: fmt.Sprintf("demo-rubric-%d", y)},
			assessment.PublishRubric{Actor: demoOffice(), Year: y, Rubric: scorecard.DefaultRubric(y)})
		if err != nil {
			return fmt.Errorf("演示数据 发布 %d 年度评分细则：%w", y, err)
		}
		d.count(r)
	}
	return nil
}

// schedule gives every case a decision time and its steps their times: the
// whole script fits between from and the day before Until, each step the
// drawn number of working days after the one before.
func (d *demoLoader) schedule(scripts []*caseScript, from time.Time) error {
	var days []time.Time
	last := calendar.StartOfDay(d.cfg.Until)
	for day := d.workingDay(from, 0, 0, 0); day.Before(last); day = d.workingDay(day, 1, 0, 0) {
		days = append(days, day)
	}
	for k, s := range scripts {
		r := rand.New(rand.NewPCG(d.cfg.Seed, uint64(k+1)<<32|0x7))
		span := 1
		for _, st := range s.Steps {
			span += st.Days
			if st.Days == 0 {
				span++ // a same-day step may spill into the next working day
			}
		}
		maxIdx := len(days) - 1 - span
		if maxIdx < 0 {
			return fmt.Errorf("演示历史太短：%s 需要 %d 个工作日", s.ID, span)
		}
		idx := r.IntN(maxIdx + 1)
		if s.Recent {
			idx = maxIdx - r.IntN(min(3, maxIdx+1))
		}
		t := days[idx].Add(9*time.Hour + time.Duration(r.IntN(390))*time.Minute)
		s.Decided = t
		for i := range s.Steps {
			t = d.advance(r, t, s.Steps[i].Days)
			s.Steps[i].At = t
		}
	}
	return nil
}

// advance returns a time n working days after t (during office hours), or
// later the same day when n is 0 (the next working morning after 17:30).
func (d *demoLoader) advance(r *rand.Rand, t time.Time, n int) time.Time {
	if n == 0 {
		u := t.Add(time.Duration(10+r.IntN(110)) * time.Minute)
		if u.Hour() < 17 || (u.Hour() == 17 && u.Minute() < 30) {
			return u
		}
		n = 1
	}
	day := d.workingDay(t, n, 0, 0)
	return day.Add(9*time.Hour + time.Duration(r.IntN(480))*time.Minute)
}

// runCases runs the case scripts on cfg.Workers services, each with its
// own clock, once the read models show the matters the pushes read.
func (d *demoLoader) runCases(ctx context.Context, scripts []*caseScript) error {
	if err := d.catchUp(ctx); err != nil {
		return err
	}
	began := time.Now()
	var done atomic.Int64
	next := make(chan *caseScript)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(next)
		for _, s := range scripts {
			select {
			case next <- s:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var progress sync.Mutex
	step := max(1, len(scripts)/20)
	for range d.cfg.Workers {
		clk := &demoClock{}
		svc, err := d.service(clk)
		if err != nil {
			return err
		}
		g.Go(func() error {
			for s := range next {
				if err := d.runCase(gctx, svc, clk, s); err != nil {
					return err
				}
				if n := done.Add(1); n%int64(step) == 0 || int(n) == len(scripts) {
					progress.Lock()
					rate := float64(n) / time.Since(began).Seconds()
					fmt.Fprintf(d.cfg.Progress, "办件 %d/%d（%.0f 件/秒）\n", n, len(scripts), rate)
					progress.Unlock()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return d.catchUp(ctx)
}

// runCase issues the steps of one case at their times.
func (d *demoLoader) runCase(ctx context.Context, svc *service.Service, clk *demoClock, s *caseScript) error {
	for i, st := range s.Steps {
		clk.Set(st.At)
		r, err := svc.Case(ctx, service.Meta{Operation: st.Op, CommandID: fmt.Sprintf("demo-%s-%02d", s.ID, i+1),
			RequestID: "demo-" + s.ID}, st.Build(st.At))
		if err != nil {
			return fmt.Errorf("演示办件 %s（%s）第 %d 步 %s：%w", s.ID, s.Scenario, i+1, st.Op, err)
		}
		d.count(r)
	}
	return nil
}

// act issues one non-case command as of at.
func (d *demoLoader) act(at time.Time, what string, f func() (service.Result, error)) error {
	d.clock.Set(at)
	r, err := f()
	if err != nil {
		return fmt.Errorf("演示数据 %s：%w", what, err)
	}
	d.count(r)
	return nil
}

func meta(op, key string) service.Meta {
	return service.Meta{Operation: op, CommandID: "demo-" + key, RequestID: "demo-" + key}
}

// coordination records consultations with resolutions (one implemented,
// one overdue, one still open), problems raised, escalated and resolved,
// and the half-year summaries of the approving units.
func (d *demoLoader) coordination(ctx context.Context, scripts []*caseScript, rep *demoReport) error {
	office := demoOffice()
	until := d.cfg.Until
	date := calendar.DateOf

	held := d.workingDay(until.AddDate(0, 0, -75), 0, 14, 30)
	if held.Before(rep.From) {
		held = d.workingDay(rep.From, 1, 14, 30)
	}
	attendees := []consultation.Attendee{{Unit: officeID, Name: "王主任"}}
	for _, u := range []string{"scjgj", "cgw", "wjw", "zjw"} {
		attendees = append(attendees, consultation.Attendee{Unit: u, Name: demoCoordinator(u, 1).Name})
	}
	meet1 := consultation.RecordMeeting{Actor: office, ID: "HS-DEMO-1", Scope: consultation.ScopeDistrict, HeldAt: held,
		Attendees: attendees,
		Record: consultation.Record{
			InformationExchange: "本季度共推送办件数百件，查收及时率较上季度提高，告知承诺核查基本按时启动。",
			ProblemsAndMeasures: "部分事项监管部门认领不清导致退回；户外广告设施设置许可告知承诺核查滞后。责成相关部门限期整改。",
			Other:               "研究大型商业综合体开业联合检查的牵头机制。"},
		Resolutions: []consultation.Resolution{
			{ID: "HS-DEMO-1-R1", Text: "市场监管局牵头梳理退回率较高事项的监管清单，报区政务服务办备案", OwnerUnit: "scjgj", DueDate: date(held.AddDate(0, 0, 20))},
			{ID: "HS-DEMO-1-R2", Text: "城管委对户外广告设施设置许可的告知承诺办件在3个工作日内完成核查", OwnerUnit: "cgw", DueDate: date(held.AddDate(0, 0, 30))},
		}}
	if err := d.act(held.Add(2*time.Hour), "记录会商", func() (service.Result, error) {
		return d.office.Consultation(ctx, meta("recordConsultation", "consultation-1"), meet1.ID, meet1)
	}); err != nil {
		return err
	}
	if err := d.act(d.workingDay(held.AddDate(0, 0, 14), 0, 10, 0), "落实会商决议", func() (service.Result, error) {
		return d.office.Consultation(ctx, meta("reportResolutionImplemented", "resolution-1"), meet1.ID,
			consultation.ReportResolutionImplemented{Actor: demoCoordinator("scjgj", 1), ResolutionID: "HS-DEMO-1-R1",
				Note: "已完成监管清单梳理并报备，涉及事项12项"})
	}); err != nil {
		return err
	}
	held2 := d.workingDay(until, -5, 9, 30)
	meet2 := consultation.RecordMeeting{Actor: office, ID: "HS-DEMO-2", Scope: consultation.ScopeDistrict, HeldAt: held2,
		Attendees: attendees[:3],
		Record: consultation.Record{
			InformationExchange: "上次会商决议一项已落实，一项逾期未落实。",
			ProblemsAndMeasures: "城管委决议逾期，由区政务服务办发函督办。"},
		Resolutions: []consultation.Resolution{
			{ID: "HS-DEMO-2-R1", Text: "区政务服务办完成年度考核评分细则解读培训", OwnerUnit: officeID, DueDate: date(until.AddDate(0, 0, 20))},
		}}
	if err := d.act(held2.Add(3*time.Hour), "记录会商", func() (service.Result, error) {
		return d.office.Consultation(ctx, meta("recordConsultation", "consultation-2"), meet2.ID, meet2)
	}); err != nil {
		return err
	}

	// A problem raised by a level-2 coordinator and escalated to level 1; a
	// second one resolved at level 2.
	var related []string
	for _, s := range scripts {
		if s.Scenario == "returned" && s.Final().Before(until.AddDate(0, 0, -60)) && len(related) < 3 {
			related = append(related, s.ID)
		}
	}
	rep.RelatedProblemIDs = related
	raised := d.workingDay(until.AddDate(0, 0, -60), 0, 10, 0)
	steps := []struct {
		at   time.Time
		op   string
		id   string
		what string
		cmd  problem.Command
	}{
		{raised, "raiseProblem", "WT-DEMO-1", "提出问题", problem.Raise{Actor: demoCoordinator("scjgj", 2), ID: "WT-DEMO-1", Unit: "scjgj",
			Title: "药品零售企业许可推送材料不全", Description: "市场准入科推送的药品零售企业许可办件多次缺少申请材料，本局已退回，需审批部门补正。",
			RelatedCaseIDs: related, MatterCode: "DL-XK-002"}},
		{d.workingDay(raised, 2, 15, 0), "addProblemProgress", "WT-DEMO-1", "问题进展", problem.AddProgress{Actor: demoCoordinator("scjgj", 2),
			Note: "已电话联系市场准入科，对方表示需系统改造后才能补传材料。"}},
		{d.workingDay(raised, 5, 11, 0), "escalateProblem", "WT-DEMO-1", "上报问题", problem.Escalate{Actor: demoCoordinator("scjgj", 2),
			To: problem.Level1, Reason: "涉及系统改造，二级协调员无法协调解决"}},
		{d.workingDay(raised, 8, 16, 0), "addProblemProgress", "WT-DEMO-1", "问题进展", problem.AddProgress{Actor: demoCoordinator("scjgj", 1),
			Note: "已与区政务服务办一级协调员沟通，列入下次会商议题。"}},
		{d.workingDay(raised, 10, 10, 0), "raiseProblem", "WT-DEMO-2", "提出问题", problem.Raise{Actor: demoCoordinator("cgw", 2), ID: "WT-DEMO-2", Unit: "cgw",
			Title: "城市道路占用挖掘许可推送延迟", Description: "部分街道审批的临时占道办件推送晚于审批决定两个工作日以上。", MatterCode: "DL-XK-012"}},
		{d.workingDay(raised, 13, 10, 0), "resolveProblem", "WT-DEMO-2", "解决问题", problem.Resolve{Actor: demoCoordinator("cgw", 2),
			Resolution: "经与相关街道沟通，已明确审批当日推送，近两周未再发生延迟。"}},
	}
	for i, st := range steps {
		if err := d.act(st.at, st.what, func() (service.Result, error) {
			return d.office.Problem(ctx, meta(st.op, fmt.Sprintf("problem-%d", i+1)), st.id, st.cmd)
		}); err != nil {
			return err
		}
	}

	// Half-year summaries of the approving units for the last half year
	// that ended at least three weeks ago; two streets have not submitted.
	year, half := until.Year(), summary.H1
	end := time.Date(year, 7, 1, 0, 0, 0, 0, calendar.Location())
	for _, c := range []struct {
		y int
		h summary.Half
		e time.Time
	}{{year, summary.H1, end}, {year - 1, summary.H2, end.AddDate(0, -6, 0)}, {year - 1, summary.H1, end.AddDate(-1, 0, 0)}} {
		if !c.e.AddDate(0, 0, 21).After(until) {
			year, half, end = c.y, c.h, c.e
			break
		}
	}
	n := 0
	for _, u := range demoUnits {
		if !slices.Contains(u.Kinds, directory.KindApproval) || u.ID == "jd-jq" || u.ID == "jd-dlh" {
			continue
		}
		at := d.workingDay(end, 2+n%8, 10, n)
		n++
		cmd := summary.SubmitSummary{Actor: demoApprover(u.ID), Unit: u.ID, Year: year, Half: half,
			Content: fmt.Sprintf("一、%d年%s审管联动推送情况：审批办件均已按时推送，监管部门查收及时。\n二、存在问题：个别事项监管部门不明确，出现退回。\n三、下一步工作打算：配合区政务服务办完善事项清单，落实会商决议。",
				year, map[summary.Half]string{summary.H1: "上半年", summary.H2: "下半年"}[half])}
		if err := d.act(at, "提交工作小结", func() (service.Result, error) {
			return d.office.Summary(ctx, meta("submitSummary", fmt.Sprintf("summary-%s-%d-%s", u.ID, year, half)), cmd)
		}); err != nil {
			return err
		}
	}
	if at := d.workingDay(end, 15, 10, 0); at.Before(until) {
		var all []string
		for _, u := range demoUnits {
			all = append(all, u.ID)
		}
		if err := d.act(at, "半年定期检查", func() (service.Result, error) {
			return d.office.Assessment(ctx, meta("conductHalfYearInspection", fmt.Sprintf("inspection-%d-%s", year, half)),
				assessment.ConductHalfYearInspection{Actor: office, Year: year, Half: half, Units: all,
					Notes: "对各单位审管联动工作开展半年全面检查，总体运行平稳。"})
		}); err != nil {
			return err
		}
	}
	return nil
}

// assessment runs a verifiable random sampling (commit the seed's hash,
// reveal the seed with the population), records a finding on a drawn case
// with its notice letter, and an external inspection's finding.
func (d *demoLoader) assessment(ctx context.Context, scripts []*caseScript, rep *demoReport) error {
	office := demoOffice()
	commitAt := d.workingDay(d.cfg.Until.AddDate(0, 0, -30), 0, 10, 0)
	year := commitAt.Year()
	var population []string
	supervisor := map[string]string{}
	for _, s := range scripts {
		if strings.HasSuffix(s.Scenario, "closed") && s.Final().Before(commitAt) && s.Final().Year() == year {
			population = append(population, s.ID)
			supervisor[s.ID] = s.Matter.SupervisingUnits[0]
		}
	}
	slices.Sort(population)
	if len(population) > 0 {
		seed := fmt.Sprintf("shenguan-demo-%d-sampling-1", d.cfg.Seed)
		sum := sha256.Sum256([]byte(seed))
		size := min(5, len(population))
		if err := d.act(commitAt, "随机抽查（公布种子哈希）", func() (service.Result, error) {
			return d.office.Assessment(ctx, meta("commitSampling", "sampling-1"), assessment.CommitSampling{Actor: office, Year: year,
				SamplingID: "S-DEMO-1", SeedHash: hex.EncodeToString(sum[:]), Filter: "本年度已办结的办件", Size: size})
		}); err != nil {
			return err
		}
		revealAt := d.workingDay(commitAt, 1, 10, 0)
		d.clock.Set(revealAt)
		r, err := d.office.Assessment(ctx, meta("revealSampling", "sampling-1-reveal"), assessment.RevealSampling{Actor: office, Year: year,
			SamplingID: "S-DEMO-1", Seed: seed, Population: population})
		if err != nil {
			return fmt.Errorf("演示数据 随机抽查（公布种子）：%w", err)
		}
		d.count(r)
		for _, e := range r.Events {
			if sr, ok := e.(assessment.SamplingRevealed); ok {
				rep.SamplingDrawn = sr.Sample
			}
		}
		if len(rep.SamplingDrawn) > 0 {
			c := rep.SamplingDrawn[0]
			unit := supervisor[c]
			if err := d.act(d.workingDay(revealAt, 2, 15, 0), "抽查发现问题", func() (service.Result, error) {
				return d.office.Assessment(ctx, meta("recordFinding", "finding-1"), assessment.RecordFinding{Actor: office, Year: year,
					ID: "F-DEMO-1", Source: scorecard.SourceSampling, Unit: unit, CaseID: c, SamplingID: "S-DEMO-1",
					Description: "抽查发现核查记录未上传现场检查照片", Severity: scorecard.SeverityGeneral, Problems: 1})
			}); err != nil {
				return err
			}
			if err := d.act(d.workingDay(revealAt, 3, 10, 0), "发出告知函", func() (service.Result, error) {
				return d.office.Assessment(ctx, meta("issueNoticeLetter", "letter-1"), assessment.IssueNoticeLetter{Actor: office, Year: year,
					FindingID: "F-DEMO-1", LetterNumber: fmt.Sprintf("东丽政务服务办告知函〔%d〕1号", year), ToUnit: unit})
			}); err != nil {
				return err
			}
		}
	}
	return d.act(d.workingDay(commitAt, -10, 11, 0), "全市督查发现问题", func() (service.Result, error) {
		return d.office.Assessment(ctx, meta("recordFinding", "finding-2"), assessment.RecordFinding{Actor: office, Year: year,
			ID: "F-DEMO-2", Source: scorecard.SourceExternalCity, Unit: "cgw",
			Description: "全市督查发现户外广告设施设置许可告知承诺核查不及时", Severity: scorecard.SeverityGeneral, Problems: 1})
	})
}
