package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"shenguan/domain"
	"shenguan/graph/auth"
)

func init() {
	register("bench", "对本机运行中的服务施加负载（定速变更、并发查询、websocket 订阅者），报告延迟分位数", runBench)
}

// benchConfig configures one load run against a running server.
type benchConfig struct {
	URL         string        // the server's /graphql (loopback only)
	Token       string        // one token for every role; minted per role from Secret when empty
	Secret      []byte        // HS256 secret for minted tokens
	Audience    string        // audience of minted tokens
	Rate        float64       // mutations per second (open loop)
	Duration    time.Duration // how long mutations and queries run
	Queries     int           // concurrent case-list query workers
	QueryUnits  []string      // units whose case lists the workers read (the bench units when empty)
	Subscribers int           // websocket subscribers held during the run
	Units       int           // supervising units the cases and subscribers spread over
	Receive     bool          // every other mutation receives the previously pushed case
	Seed        bool          // register the bench units and matters first
	Out         io.Writer
}

const (
	benchMaxSubscribers = 20000
	benchMaxInFlight    = 5000
	benchMaxDuration    = 30 * time.Minute
)

func runBench(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "bench", "bench [--url http://127.0.0.1:8080/graphql] [--token 令牌 | --data-dir 目录 | --jwt-secret 密钥] [--rate 200] [--duration 30s] [--queries 4] [--subscribers 100]")
	c := benchConfig{Out: stdout(ctx)}
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080/graphql", "服务的 GraphQL `地址`（只允许本机回环地址）")
	fs.StringVar(&c.Token, "token", "", "使用此身份令牌（须同时具备 SERVICE_OFFICE、APPROVER、SUPERVISOR 角色）；不给出时用开发密钥为各角色签发")
	dataDir := fs.String("data-dir", envOr("SHENGUAN_DATA_DIR", "./data"), "服务的数据`目录`（读取开发密钥 jwt-secret）")
	jc := addJWTFlags(fs, false)
	fs.Float64Var(&c.Rate, "rate", 200, "每秒变更数（定时发送，延迟从计划发送时刻算起；0 为只查询）")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "施压`时长`（上限 30m）")
	fs.IntVar(&c.Queries, "queries", 4, "并发执行办件列表查询的工作者数")
	queryUnits := fs.String("query-units", "", "查询工作者读取其办件列表的监管`部门`（逗号分隔，如 shenguan demo 的 cgw,rsj；默认为压测单位）")
	fs.IntVar(&c.Subscribers, "subscribers", 100, "保持的 websocket 订阅者数（inboxChanged，上限 20000）")
	fs.IntVar(&c.Units, "units", 10, "办件与订阅者分布的监管部门数")
	fs.BoolVar(&c.Receive, "receive", true, "每隔一次变更查收上一件推送的办件（receivePush）")
	fs.BoolVar(&c.Seed, "seed", true, "先登记压测用的单位与事项（幂等）")
	if err := parse(fs, args); err != nil {
		return err
	}
	for u := range strings.SplitSeq(*queryUnits, ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.QueryUnits = append(c.QueryUnits, u)
		}
	}
	if err := c.check(); err != nil {
		return err
	}
	if c.Token == "" {
		secret, err := jc.hs256Secret(*dataDir, false)
		if err != nil {
			return err
		}
		if secret == nil {
			return usagef("需要 --token，或可读取开发密钥的 --data-dir / --jwt-secret")
		}
		c.Secret, c.Audience = secret, jc.Audience
	}
	return bench(ctx, c)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// check validates the configuration: a loopback URL, bounded counts.
func (c *benchConfig) check() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url %q 不是 http(s) 地址", c.URL)
	}
	if !isLoopback(u.Hostname()) {
		return usagef("bench 只对本机回环地址施压，%q 不是", u.Hostname())
	}
	switch {
	case c.Rate < 0 || c.Rate > 10000:
		return usagef("--rate 应在 [0, 10000] 之间")
	case c.Rate == 0 && c.Queries == 0:
		return usagef("--rate 0 时须有查询工作者（--queries）")
	case c.Duration <= 0 || c.Duration > benchMaxDuration:
		return usagef("--duration 应在 (0, %v] 之间", benchMaxDuration)
	case c.Subscribers < 0 || c.Subscribers > benchMaxSubscribers:
		return usagef("--subscribers 应在 [0, %d] 之间", benchMaxSubscribers)
	case c.Queries < 0 || c.Queries > 256:
		return usagef("--queries 应在 [0, 256] 之间")
	case c.Units < 1 || c.Units > 1000:
		return usagef("--units 应在 [1, 1000] 之间")
	}
	return nil
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

const (
	benchOffice   = "u-bench-office"
	benchPush     = `mutation($in: PushApprovalInput!) { pushApproval(input: $in) { position } }`
	benchReceive  = `mutation($in: ReceivePushInput!) { receivePush(input: $in) { position } }`
	benchCaseList = `query($u: ID) { cases(filter: {supervisingUnit: $u}, first: 20) { totalCount nodes { id status matterName pushedAt } } }`
	benchInbox    = `subscription { inboxChanged(first: 20) { totalCount nodes { case { id } } } }`
)

func benchUnit(k int) string   { return fmt.Sprintf("u-bench-s%d", k) }
func benchMatter(k int) string { return fmt.Sprintf("M-BENCH-%d", k) }

// benchRun is the state of one run.
type benchRun struct {
	c      benchConfig
	client *http.Client
	runID  string
	start  time.Time

	stats    map[string]*benchStats
	order    []string // the report's rows
	sentAt   sync.Map // case id → scheduled send time (time.Time)
	pushed   chan string
	subsOpen atomic.Int64
	inFlight atomic.Int64
}

// benchStats collects latencies and errors of one kind of operation.
type benchStats struct {
	mu     sync.Mutex
	lat    []time.Duration
	errs   int
	sample string // the first error
}

func (s *benchStats) ok(d time.Duration) {
	s.mu.Lock()
	s.lat = append(s.lat, d)
	s.mu.Unlock()
}

func (s *benchStats) fail(err error) {
	s.mu.Lock()
	s.errs++
	if s.sample == "" {
		s.sample = err.Error()
	}
	s.mu.Unlock()
}

func (s *benchStats) counts() (ok, errs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lat), s.errs
}

// summary returns count, errors and the p50/p95/p99/max latencies.
func (s *benchStats) summary() (n, errs int, p50, p95, p99, mx time.Duration, sample string) {
	s.mu.Lock()
	lat := slices.Clone(s.lat)
	errs, sample = s.errs, s.sample
	s.mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	if len(lat) > 0 {
		mx = lat[len(lat)-1]
	}
	return len(lat), errs, q(.50), q(.95), q(.99), mx, sample
}

// token returns the bearer token of an actor (c.Token when given).
func (b *benchRun) token(id, unit string, roles ...domain.Role) (string, error) {
	if b.c.Token != "" {
		return b.c.Token, nil
	}
	return auth.Mint(b.c.Secret, b.c.Audience, domain.Actor{ID: id, Name: "压测 " + id, Unit: unit, Roles: roles},
		time.Now(), b.c.Duration+time.Hour)
}

// benchError is a GraphQL or HTTP failure.
type benchError struct {
	status int
	code   string
	msg    string
}

func (e *benchError) Error() string {
	return fmt.Sprintf("HTTP %d %s %s", e.status, e.code, e.msg)
}

// post runs one GraphQL request.
func (b *benchRun) post(ctx context.Context, token, query string, vars map[string]any) (json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, &benchError{status: resp.StatusCode, msg: err.Error()}
	}
	if len(out.Errors) > 0 || resp.StatusCode != http.StatusOK {
		e := &benchError{status: resp.StatusCode}
		if len(out.Errors) > 0 {
			e.code, _ = out.Errors[0].Extensions["code"].(string)
			e.msg = out.Errors[0].Message
		}
		return out.Data, e
	}
	return out.Data, nil
}

// bench runs the load and prints the report.
func bench(ctx context.Context, c benchConfig) error {
	b := &benchRun{
		c: c,
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}},
		runID:  strconv.FormatInt(time.Now().Unix()%1e6, 36),
		stats:  map[string]*benchStats{},
		pushed: make(chan string, 100000),
	}
	b.order = []string{"pushApproval", "receivePush"}
	for w := range max(c.Queries, 1) {
		if k := b.queryKey(w); !slices.Contains(b.order, k) {
			b.order = append(b.order, k)
		}
	}
	b.order = append(b.order, "subscribe", "inboxChanged delivery")
	for _, k := range b.order {
		b.stats[k] = &benchStats{}
	}
	office, err := b.token("bench-office", benchOffice, domain.RoleServiceOffice, domain.RoleApprover)
	if err != nil {
		return err
	}
	if c.Seed {
		if err := b.seed(ctx, office); err != nil {
			return err
		}
		if err := b.drainInboxes(ctx); err != nil {
			return err
		}
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var subs sync.WaitGroup
	if c.Subscribers > 0 {
		fmt.Fprintf(c.Out, "连接 %d 个订阅者……\n", c.Subscribers)
		before, merr := b.serverMemory(ctx)
		if err := b.subscribeAll(runCtx, &subs); err != nil {
			stop()
			subs.Wait()
			return err
		}
		after, err := b.serverMemory(ctx)
		if merr == nil && err == nil {
			b.reportMemory(before, after)
		}
	}

	fmt.Fprintf(c.Out, "施压 %v：%.0f 次变更/秒，%d 个查询工作者，%d 个订阅者（%d 个监管部门）\n",
		c.Duration, c.Rate, c.Queries, c.Subscribers, c.Units)
	b.start = time.Now()
	loadCtx, endLoad := context.WithDeadline(runCtx, b.start.Add(c.Duration))
	defer endLoad()
	var work sync.WaitGroup
	for w := range c.Queries {
		work.Add(1)
		go func() { defer work.Done(); b.queryWorker(loadCtx, w) }()
	}
	progress := make(chan struct{})
	go func() { defer close(progress); b.progress(loadCtx) }()
	if c.Rate > 0 {
		b.mutations(loadCtx, office, &work)
	} else {
		<-loadCtx.Done()
	}
	work.Wait()
	<-progress
	// Late subscription messages of the last mutations.
	if c.Subscribers > 0 {
		select {
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
		}
	}
	stop()
	subs.Wait()
	b.report(time.Since(b.start))
	return nil
}

// seed registers the office, the supervising units and one matter per
// unit; repeated runs are idempotent (fixed command ids).
func (b *benchRun) seed(ctx context.Context, token string) error {
	reg := `mutation($in: RegisterUnitInput!) { registerUnit(input: $in) { duplicate } }`
	def := `mutation($in: DefineMatterInput!) { defineMatter(input: $in) { duplicate } }`
	tolerate := func(what string, err error) error {
		var be *benchError
		if err == nil {
			return nil
		}
		if errors.As(err, &be) && be.status == http.StatusOK && strings.Contains(be.code, "EXIST") {
			return nil
		}
		return fmt.Errorf("登记%s失败：%w", what, err)
	}
	_, err := b.post(ctx, token, reg, map[string]any{"in": map[string]any{"commandId": "bench-unit-office",
		"unitId": benchOffice, "name": "压测审批局", "kinds": []string{"SERVICE_OFFICE", "APPROVAL"}}})
	if err := tolerate(benchOffice, err); err != nil {
		return err
	}
	for k := range b.c.Units {
		_, err := b.post(ctx, token, reg, map[string]any{"in": map[string]any{"commandId": "bench-unit-" + benchUnit(k),
			"unitId": benchUnit(k), "name": fmt.Sprintf("压测监管部门 %d", k), "kinds": []string{"SUPERVISION"}}})
		if err := tolerate(benchUnit(k), err); err != nil {
			return err
		}
		_, err = b.post(ctx, token, def, map[string]any{"in": map[string]any{"commandId": "bench-matter-" + benchMatter(k),
			"matter": map[string]any{"code": benchMatter(k), "name": fmt.Sprintf("压测事项 %d", k),
				"approvingUnit": benchOffice, "supervisingUnits": []string{benchUnit(k)}, "commitmentApplies": false}}})
		if err := tolerate(benchMatter(k), err); err != nil {
			return err
		}
	}
	return nil
}

// drainInboxes receives what earlier runs left in the bench units' inboxes:
// the subscribers watch the head of an inbox (oldest first), where the
// pushes of this run must show.
func (b *benchRun) drainInboxes(ctx context.Context) error {
	const inbox = `query { inbox(first: 200) { nodes { case { id } } } }`
	for k := range b.c.Units {
		tok, err := b.token(fmt.Sprintf("bench-sup-%d", k), benchUnit(k), domain.RoleSupervisor)
		if err != nil {
			return err
		}
		for range 100 {
			data, err := b.post(ctx, tok, inbox, nil)
			if err != nil {
				return fmt.Errorf("读取 %s 的待查收推送：%w", benchUnit(k), err)
			}
			ids := benchCaseIDs(data)
			if len(ids) == 0 {
				break
			}
			for _, id := range ids {
				_, err := b.post(ctx, tok, benchReceive, map[string]any{"in": map[string]any{"caseId": string(id), "commandId": "rcv-" + string(id)}})
				if err != nil {
					return fmt.Errorf("查收先前压测遗留的 %s：%w", id, err)
				}
			}
		}
	}
	return nil
}

// mutations sends mutations on a fixed schedule until ctx ends: send i is
// due at start + i/rate whatever happened to the earlier ones, and its
// latency counts from that time.
func (b *benchRun) mutations(ctx context.Context, office string, wg *sync.WaitGroup) {
	interval := time.Duration(float64(time.Second) / b.c.Rate)
	sups := make([]string, b.c.Units)
	for k := range sups {
		var err error
		if sups[k], err = b.token(fmt.Sprintf("bench-sup-%d", k), benchUnit(k), domain.RoleSupervisor); err != nil {
			b.stats["receivePush"].fail(err)
			return
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := 0; ; i++ {
		at := b.start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		kind, token, query, vars := "pushApproval", office, benchPush, map[string]any(nil)
		if b.c.Receive && i%2 == 1 {
			select {
			case id := <-b.pushed:
				k, _ := strconv.Atoi(id[strings.LastIndexByte(id, '-')+1:])
				kind, token, query = "receivePush", sups[k%b.c.Units], benchReceive
				vars = map[string]any{"in": map[string]any{"caseId": id, "commandId": "rcv-" + id}}
			default:
			}
		}
		if vars == nil {
			id := fmt.Sprintf("B-%s-%d", b.runID, i)
			k := i % b.c.Units
			vars = map[string]any{"in": map[string]any{
				"caseId": id + "-" + strconv.Itoa(k), "commandId": "push-" + id, "matterCode": benchMatter(k),
				// A subject of its own per push: one shared subject would turn the
				// duplicate-push guard into the thing measured.
				"subject": map[string]any{"kind": "ORGANISATION", "id": demoUSCC(rand.New(rand.NewPCG(uint64(i), 7)), false), "name": "压测某某有限公司"},
				"outcome": "GRANTED", "decidedAt": time.Now().Add(-time.Hour).Format(time.RFC3339), "mode": "STANDARD",
				"confirmCheckWarning": true, "confirmDuplicate": true,
				"documents": []map[string]any{
					{"name": "申请书.pdf", "kind": "APPLICATION_MATERIALS", "sha256": strings.Repeat("a", 64), "size": 1024},
					{"name": "许可证.pdf", "kind": "RESULT", "sha256": strings.Repeat("b", 64), "size": 2048},
				}}}
		}
		if b.inFlight.Load() >= benchMaxInFlight {
			b.stats[kind].fail(errors.New("压测端在途请求过多（服务未跟上）"))
			continue
		}
		b.inFlight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.inFlight.Add(-1)
			caseID := vars["in"].(map[string]any)["caseId"].(string)
			if kind == "pushApproval" {
				b.sentAt.Store(caseID, at)
			}
			// Requests run to completion after the load window closes.
			_, err := b.post(context.WithoutCancel(ctx), token, query, vars)
			if err != nil {
				b.stats[kind].fail(err)
				return
			}
			b.stats[kind].ok(time.Since(at))
			if kind == "pushApproval" {
				select {
				case b.pushed <- caseID:
				default:
				}
			}
		}()
	}
}

// queryUnit is the unit whose case list worker w reads.
func (b *benchRun) queryUnit(w int) string {
	if u := b.c.QueryUnits; len(u) > 0 {
		return u[w%len(u)]
	}
	return benchUnit(w % b.c.Units)
}

// queryKey names the statistics of worker w's queries: one row for the
// bench units, one per unit named by --query-units.
func (b *benchRun) queryKey(w int) string {
	if len(b.c.QueryUnits) == 0 {
		return "cases query"
	}
	return "cases " + b.queryUnit(w)
}

// queryWorker runs the case list of one supervising unit back to back.
func (b *benchRun) queryWorker(ctx context.Context, w int) {
	unit, st := b.queryUnit(w), b.stats[b.queryKey(w)]
	tok, err := b.token(fmt.Sprintf("bench-reader-%d", w), unit, domain.RoleSupervisor)
	if err != nil {
		st.fail(err)
		return
	}
	for ctx.Err() == nil {
		start := time.Now()
		_, err := b.post(ctx, tok, benchCaseList, map[string]any{"u": unit})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			st.fail(err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		st.ok(time.Since(start))
	}
}

// serverMemory is what the server's /metrics says about its memory.
type serverMemory struct {
	heap, stack, rss, goroutines float64
}

// serverMemory reads the server's /metrics after asking it for a garbage
// collection (/debug/pprof/heap?gc=1, when serve runs with --pprof).
func (b *benchRun) serverMemory(ctx context.Context) (serverMemory, error) {
	u, _ := url.Parse(b.c.URL)
	get := func(path, query string) ([]byte, error) {
		u.Path, u.RawQuery = path, query
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		resp, err := b.client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
		}
		return body, err
	}
	_, _ = get("/debug/pprof/heap", "gc=1") // without --pprof the figures include garbage
	body, err := get("/metrics", "")
	if err != nil {
		return serverMemory{}, err
	}
	var m serverMemory
	for line := range strings.SplitSeq(string(body), "\n") {
		name, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_memstats_heap_inuse_bytes":
			m.heap = v
		case "go_memstats_stack_inuse_bytes":
			m.stack = v
		case "process_resident_memory_bytes":
			m.rss = v
		case "go_goroutines":
			m.goroutines = v
		}
	}
	if m.heap == 0 || m.rss == 0 {
		return m, errors.New("/metrics 中没有内存指标")
	}
	return m, nil
}

// reportMemory prints the server's memory per connected, idle subscriber.
func (b *benchRun) reportMemory(before, after serverMemory) {
	n := float64(b.subsOpen.Load())
	if n == 0 {
		return
	}
	kb := func(a, z float64) float64 { return (z - a) / n / 1024 }
	fmt.Fprintf(b.c.Out, "服务端每个空闲订阅者（%d 个连接前后之差 / 连接数）：堆 %.1f KB，栈 %.1f KB，RSS %.1f KB，协程 %.1f 个\n",
		int(n), kb(before.heap, after.heap), kb(before.stack, after.stack), kb(before.rss, after.rss),
		(after.goroutines-before.goroutines)/n)
}

// subscribeAll connects the subscribers (50 at a time) and returns once
// all have their first inbox message, or with the first error.
func (b *benchRun) subscribeAll(ctx context.Context, wg *sync.WaitGroup) error {
	u, _ := url.Parse(b.c.URL)
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	toks := make([]string, b.c.Units)
	for k := range toks {
		var err error
		if toks[k], err = b.token(fmt.Sprintf("bench-sub-%d", k), benchUnit(k), domain.RoleSupervisor); err != nil {
			return err
		}
	}
	sem := make(chan struct{}, 50)
	ready := make(chan error, b.c.Subscribers)
	for i := range b.c.Subscribers {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.subscriber(ctx, u.String(), toks[i%b.c.Units], func(err error) { <-sem; ready <- err })
		}()
	}
	var failed int
	var first error
	for range b.c.Subscribers {
		if err := <-ready; err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(b.c.Out, "%d 个订阅者未能连接：%v\n", failed, first)
		if failed == b.c.Subscribers {
			return fmt.Errorf("订阅者均未能连接：%w", first)
		}
	}
	return nil
}

// subscriber holds one websocket: connection_init, inboxChanged, and for
// every message the delivery latency of each case it shows for the first
// time (from the scheduled send time of its pushApproval).
func (b *benchRun) subscriber(ctx context.Context, wsURL, token string, ready func(error)) {
	st := b.stats["subscribe"]
	d := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 30 * time.Second}
	start := time.Now()
	c, _, err := d.DialContext(ctx, wsURL, nil)
	if err != nil {
		st.fail(err)
		ready(err)
		return
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() {
		c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		c.Close()
	})
	defer stop()
	var wmu sync.Mutex
	write := func(v any) error { wmu.Lock(); defer wmu.Unlock(); return c.WriteJSON(v) }
	if err := write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		st.fail(err)
		ready(err)
		return
	}
	if err := write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": benchInbox}}); err != nil {
		st.fail(err)
		ready(err)
		return
	}
	seen := map[string]bool{}
	first := true
	delivery := b.stats["inboxChanged delivery"]
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			if first {
				st.fail(err)
				ready(err)
			} else {
				b.subsOpen.Add(-1)
			}
			return
		}
		now := time.Now()
		// Inbox messages are by far the most frequent: their case ids are
		// picked out of the bytes (the bench's own query fixes their shape)
		// so that the client spends little of the machine's CPU on them.
		if bytes.Contains(data, []byte(`"type":"next"`)) {
			ids := benchCaseIDs(data)
			if first {
				first = false
				st.ok(time.Since(start))
				b.subsOpen.Add(1)
				ready(nil)
				for _, id := range ids { // the backlog is not a delivery
					seen[string(id)] = true
				}
				continue
			}
			for _, id := range ids {
				if seen[string(id)] {
					continue
				}
				k := string(id)
				seen[k] = true
				if at, ok := b.sentAt.Load(k); ok {
					delivery.ok(now.Sub(at.(time.Time)))
				}
			}
			if len(seen) > 10000 { // only cases still in the inbox matter
				clear(seen)
				for _, id := range ids {
					seen[string(id)] = true
				}
			}
			continue
		}
		var m struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		switch m.Type {
		case "ping":
			write(map[string]string{"type": "pong"})
		case "error", "complete":
			err := fmt.Errorf("订阅结束：%s", data)
			if first {
				st.fail(err)
				ready(err)
			} else {
				delivery.fail(err)
				b.subsOpen.Add(-1)
			}
			return
		}
	}
}

// benchCaseIDs returns the case ids of an inboxChanged message
// (…"case":{"id":"<id>"}…), as slices of data.
func benchCaseIDs(data []byte) [][]byte {
	var ids [][]byte
	marker := []byte(`"case":{"id":"`)
	for {
		i := bytes.Index(data, marker)
		if i < 0 {
			return ids
		}
		data = data[i+len(marker):]
		j := bytes.IndexByte(data, '"')
		if j < 0 {
			return ids
		}
		ids = append(ids, data[:j])
		data = data[j:]
	}
}

// progress prints one line per second.
func (b *benchRun) progress(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pOK, pErr := b.stats["pushApproval"].counts()
		rOK, rErr := b.stats["receivePush"].counts()
		var qOK, qErr int
		for _, k := range b.order {
			if strings.HasPrefix(k, "cases ") {
				ok, errs := b.stats[k].counts()
				qOK, qErr = qOK+ok, qErr+errs
			}
		}
		dOK, _ := b.stats["inboxChanged delivery"].counts()
		fmt.Fprintf(b.c.Out, "%5.0fs  变更 %d（错 %d）  查询 %d（错 %d）  推送送达 %d  订阅者 %d  在途 %d\n",
			time.Since(b.start).Seconds(), pOK+rOK, pErr+rErr, qOK, qErr, dOK, b.subsOpen.Load(), b.inFlight.Load())
	}
}

// report prints the latency table.
func (b *benchRun) report(elapsed time.Duration) {
	w := b.c.Out
	fmt.Fprintf(w, "\n结果（%v，%s）\n", elapsed.Round(time.Millisecond), b.c.URL)
	fmt.Fprintf(w, "%-22s %8s %6s %8s %9s %9s %9s %9s\n", "操作", "成功", "错误", "每秒", "p50", "p95", "p99", "max")
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/1e6) }
	var samples []string
	for _, k := range b.order {
		n, errs, p50, p95, p99, mx, sample := b.stats[k].summary()
		if n == 0 && errs == 0 {
			continue
		}
		fmt.Fprintf(w, "%-22s %8d %6d %8.1f %9s %9s %9s %9s\n", k, n, errs, float64(n)/elapsed.Seconds(),
			ms(p50), ms(p95), ms(p99), ms(mx))
		if sample != "" {
			samples = append(samples, k+": "+sample)
		}
	}
	for _, s := range samples {
		fmt.Fprintf(w, "首个错误 %s\n", s)
	}
}
