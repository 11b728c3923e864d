package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"shenguan/eventstore"
)

// JobState is where a verify-all job stands.
type JobState string

// Job states.
const (
	JobRunning JobState = "RUNNING"
	JobIntact  JobState = "INTACT" // finished, every chain intact
	JobBroken  JobState = "BROKEN" // finished at the first broken link
	JobFailed  JobState = "FAILED" // could not finish (a read error, shut down)
)

// JobStatus is a snapshot of a verify-all job.
type JobStatus struct {
	ID         string
	State      JobState
	Events     int64
	Streams    int
	At, Head   eventstore.Position
	Break      *eventstore.Break
	Error      string
	StartedAt  time.Time
	FinishedAt *time.Time
}

// Done reports whether the job has finished.
func (s JobStatus) Done() bool { return s.State != JobRunning }

type job struct {
	status JobStatus
	subs   map[chan JobStatus]struct{}
}

// Jobs is an in-process table of verify-all jobs (eventstore.VerifyAll
// running in the background) with progress to poll or to watch. The last
// MaxKept finished jobs are kept. It is safe for concurrent use.
type Jobs struct {
	store eventstore.Store
	now   func() time.Time

	mu     sync.Mutex
	jobs   map[string]*job
	order  []string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// MaxKept is how many jobs the table remembers.
const MaxKept = 100

// NewJobs returns a job table verifying store; now is the clock (time.Now
// when nil).
func NewJobs(store eventstore.Store, now func() time.Time) *Jobs {
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Jobs{store: store, now: now, jobs: map[string]*job{}, ctx: ctx, cancel: cancel}
}

// Close stops running jobs (they end FAILED) and waits for them.
func (j *Jobs) Close() {
	j.cancel()
	j.wg.Wait()
}

// Start starts a verify-all job and returns its id at once.
func (j *Jobs) Start() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	id := "verify-" + hex.EncodeToString(b[:])
	j.mu.Lock()
	j.jobs[id] = &job{status: JobStatus{ID: id, State: JobRunning, StartedAt: j.now()}, subs: map[chan JobStatus]struct{}{}}
	j.order = append(j.order, id)
	j.forget()
	j.mu.Unlock()
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		br, err := eventstore.VerifyAll(j.ctx, j.store, func(p eventstore.VerifyProgress) {
			j.update(id, func(s *JobStatus) { s.Events, s.Streams, s.At, s.Head = p.Events, p.Streams, p.At, p.Head })
		})
		j.update(id, func(s *JobStatus) {
			t := j.now()
			s.FinishedAt = &t
			switch {
			case err != nil:
				s.State, s.Error = JobFailed, err.Error()
			case br != nil:
				s.State, s.Break = JobBroken, br
			default:
				s.State = JobIntact
			}
		})
	}()
	return id
}

// forget drops the oldest finished jobs beyond MaxKept (j.mu held).
func (j *Jobs) forget() {
	for len(j.order) > MaxKept {
		dropped := false
		for i, id := range j.order {
			if j.jobs[id].status.Done() {
				delete(j.jobs, id)
				j.order = append(j.order[:i], j.order[i+1:]...)
				dropped = true
				break
			}
		}
		if !dropped {
			return
		}
	}
}

// update changes a job's status and sends it to the watchers; a watcher
// that is not keeping up misses intermediate snapshots, never the last.
func (j *Jobs) update(id string, f func(*JobStatus)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return
	}
	f(&jb.status)
	for ch := range jb.subs {
		select {
		case <-ch: // drop the stale snapshot
		default:
		}
		ch <- jb.status
		if jb.status.Done() {
			close(ch)
			delete(jb.subs, ch)
		}
	}
}

// Get returns a job's status.
func (j *Jobs) Get(id string) (JobStatus, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	jb, ok := j.jobs[id]
	if !ok {
		return JobStatus{}, false
	}
	return jb.status, true
}

// Watch returns a channel that gets the job's status now and after every
// change, and is closed after the final status or when ctx is done.
func (j *Jobs) Watch(ctx context.Context, id string) (<-chan JobStatus, bool) {
	j.mu.Lock()
	jb, ok := j.jobs[id]
	if !ok {
		j.mu.Unlock()
		return nil, false
	}
	in := make(chan JobStatus, 1)
	in <- jb.status
	if jb.status.Done() {
		close(in)
		j.mu.Unlock()
		return in, true
	}
	jb.subs[in] = struct{}{}
	j.mu.Unlock()
	out := make(chan JobStatus)
	go func() {
		defer close(out)
		defer func() {
			j.mu.Lock()
			delete(jb.subs, in)
			j.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case s, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- s:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, true
}
