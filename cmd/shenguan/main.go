// Command shenguan is the one binary of the 审管联动 service. Each
// subcommand lives in its own file and registers itself in init:
//
//	shenguan migrate   create or upgrade the event store schema
//	shenguan verify    check the SM3 hash chain of every stream
//	shenguan help      list the subcommands
//
// Only this package reads the environment (SHENGUAN_DATA_DIR,
// DATABASE_URL); everything below it takes explicit configuration.
//
// Exit codes: 0 success, 1 a finding (verify: a broken hash chain), 2 a
// usage or operational error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// subcommand is one entry of the command table.
type subcommand struct {
	name, summary string
	run           func(ctx context.Context, args []string) error
}

var commands = map[string]subcommand{}

// register adds a subcommand; the files of this package call it in init.
func register(name, summary string, run func(ctx context.Context, args []string) error) {
	if _, dup := commands[name]; dup {
		panic("shenguan: subcommand registered twice: " + name)
	}
	commands[name] = subcommand{name, summary, run}
}

// Exit codes.
const (
	exitOK      = 0
	exitFinding = 1 // e.g. a broken hash chain
	exitError   = 2 // usage and operational errors
)

// exitErr carries an exit code other than exitError; silent means the
// message was already printed.
type exitErr struct {
	code   int
	err    error
	silent bool
}

func (e *exitErr) Error() string { return e.err.Error() }
func (e *exitErr) Unwrap() error { return e.err }

// finding returns an error that makes shenguan exit with code 1 after the
// subcommand printed its report.
func finding(err error) error { return &exitErr{code: exitFinding, err: err, silent: true} }

// errUsage marks usage mistakes (bad flags or arguments).
var errUsage = errors.New("用法错误")

// usagef returns a usage error with a zh-CN message.
func usagef(format string, args ...any) error {
	return fmt.Errorf("%w：%s", errUsage, fmt.Sprintf(format, args...))
}

type stdioKey struct{}

type stdio struct{ out, err io.Writer }

// stdout and stderr return the writers run was given.
func stdout(ctx context.Context) io.Writer { return ctx.Value(stdioKey{}).(stdio).out }
func stderr(ctx context.Context) io.Writer { return ctx.Value(stdioKey{}).(stdio).err }

// run is main without the process: it runs the subcommand named by args[0]
// and returns the exit code. Tests call it directly.
func run(ctx context.Context, args []string, out, errOut io.Writer) int {
	ctx = context.WithValue(ctx, stdioKey{}, stdio{out, errOut})
	if len(args) == 0 {
		help(errOut)
		return exitError
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			if _, ok := commands[rest[0]]; ok {
				return run(ctx, []string{rest[0], "-h"}, out, errOut)
			}
			fmt.Fprintf(errOut, "shenguan：未知子命令 %q\n\n", rest[0])
			help(errOut)
			return exitError
		}
		help(out)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(errOut, "shenguan：未知子命令 %q\n\n", name)
		help(errOut)
		return exitError
	}
	err := c.run(ctx, rest)
	var ee *exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		if !ee.silent {
			fmt.Fprintf(errOut, "shenguan %s：%v\n", name, err)
		}
		return ee.code
	case errors.Is(err, errUsage):
		fmt.Fprintf(errOut, "shenguan %s：%v\n（运行 shenguan help %s 查看用法）\n", name, err, name)
		return exitError
	case ctx.Err() != nil:
		fmt.Fprintf(errOut, "shenguan %s：已中断（%v）\n", name, err)
		return exitError
	default:
		fmt.Fprintf(errOut, "shenguan %s：%v\n", name, err)
		return exitError
	}
}

// help prints the command table.
func help(w io.Writer) {
	fmt.Fprint(w, `shenguan —— 审管联动服务

用法：
  shenguan <子命令> [参数]

子命令：
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].summary)
	}
	fmt.Fprint(w, `
运行 shenguan help <子命令> 查看该子命令的参数。
退出码：0 成功；1 发现问题（如哈希链断裂）；2 用法或运行错误。
`)
}

// newFlags returns a flag set for a subcommand that writes its usage to
// the run's stderr and reports errors instead of exiting.
func newFlags(ctx context.Context, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr(ctx))
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "用法：shenguan %s\n\n参数：\n", strings.TrimSpace(usage))
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; a flag error becomes a usage error (the flag package
// has already printed it with the usage), -h becomes flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitErr{code: exitError, err: err, silent: true}
	}
	if fs.NArg() > 0 {
		return usagef("多余的参数 %q", fs.Args())
	}
	return nil
}
