package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/graph/auth"
)

func init() {
	register("token", "签发开发用身份令牌（HS256，只向标准输出打印令牌）", runToken)
}

// jwtConfig is the token configuration shared by serve and token.
type jwtConfig struct {
	Secret   string // --jwt-secret / SHENGUAN_JWT_SECRET
	Audience string // --jwt-audience / SHENGUAN_JWT_AUDIENCE
	JWKS     string // --jwks / SHENGUAN_JWKS (serve only)
}

// addJWTFlags registers --jwt-secret and --jwt-audience (and --jwks when
// withJWKS) on fs, with defaults from the environment.
func addJWTFlags(fs *flag.FlagSet, withJWKS bool) *jwtConfig {
	c := &jwtConfig{}
	fs.StringVar(&c.Secret, "jwt-secret", os.Getenv("SHENGUAN_JWT_SECRET"),
		"HS256 令牌`密钥`（至少 32 字节；环境变量 SHENGUAN_JWT_SECRET）。未设置时使用数据目录中的 jwt-secret 文件（不存在则生成），使 token 与 serve 一致")
	aud := os.Getenv("SHENGUAN_JWT_AUDIENCE")
	if aud == "" {
		aud = auth.DefaultAudience
	}
	fs.StringVar(&c.Audience, "jwt-audience", aud, "令牌受众 `aud`（环境变量 SHENGUAN_JWT_AUDIENCE）")
	if withJWKS {
		fs.StringVar(&c.JWKS, "jwks", os.Getenv("SHENGUAN_JWKS"),
			"RS256/ES256 公钥集 JWKS 的`文件或 URL`（环境变量 SHENGUAN_JWKS）。设置后，除非同时给出 --jwt-secret，不再接受 HS256 令牌")
	}
	return c
}

// secretFileName is the development secret kept in the data directory.
const secretFileName = "jwt-secret"

// hs256Secret returns the HS256 secret: --jwt-secret when given, otherwise
// the data directory's jwt-secret file, created (0600, 32 random bytes in
// hex) when missing and create is true. With create false and no file it
// returns nil (HS256 disabled).
func (c *jwtConfig) hs256Secret(dataDir string, create bool) ([]byte, error) {
	if c.Secret != "" {
		if len(c.Secret) < 32 {
			return nil, usagef("--jwt-secret 至少需要 32 个字节，当前 %d 个", len(c.Secret))
		}
		return []byte(c.Secret), nil
	}
	path := filepath.Join(dataDir, secretFileName)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("密钥文件 %s 内容过短（至少 32 个字节）", path)
		}
		return []byte(s), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("读取密钥文件 %s：%w", path, err)
	case !create:
		return nil, nil
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("生成密钥：%w", err)
	}
	s := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("无法创建数据目录 %s：%w", dataDir, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process created it first
		return c.hs256Secret(dataDir, false)
	}
	if err != nil {
		return nil, fmt.Errorf("创建密钥文件 %s：%w", path, err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("写入密钥文件 %s：%w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("写入密钥文件 %s：%w", path, err)
	}
	return []byte(s), nil
}

// runToken mints a development HS256 token and prints only the token.
func runToken(ctx context.Context, args []string) error {
	fs := newFlags(ctx, "token", "token --unit 单位 --role 角色 [--role 角色2] [--name 姓名] [--sub 标识] [--ttl 时长]")
	store := addStoreFlags(fs)
	jc := addJWTFlags(fs, false)
	var a domain.Actor
	fs.StringVar(&a.Unit, "unit", "", "所属`单位`（必填）")
	fs.StringVar(&a.Name, "name", "", "`姓名`")
	fs.StringVar(&a.ID, "sub", "", "用户`标识` sub（默认 dev:<单位>:<第一个角色>）")
	fs.Func("role", "`角色`，可重复："+roleList(), func(s string) error {
		a.Roles = append(a.Roles, domain.Role(strings.ToUpper(strings.TrimSpace(s))))
		return nil
	})
	ttl := fs.Duration("ttl", 12*time.Hour, "有效`时长`（如 30m、12h）")
	if err := parse(fs, args); err != nil {
		return err
	}
	if a.Unit == "" || len(a.Roles) == 0 {
		return usagef("需要 --unit 和至少一个 --role（%s）", roleList())
	}
	if *ttl <= 0 {
		return usagef("--ttl 必须为正")
	}
	if a.ID == "" {
		a.ID = "dev:" + a.Unit + ":" + string(a.Roles[0])
	}
	secret, err := jc.hs256Secret(store.DataDir, true)
	if err != nil {
		return err
	}
	tok, err := auth.Mint(secret, jc.Audience, a, time.Now(), *ttl)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return usagef("%s", de.Message)
		}
		return err
	}
	_, err = fmt.Fprintln(stdout(ctx), tok)
	return err
}

func roleList() string {
	s := make([]string, len(domain.AllRoles))
	for i, r := range domain.AllRoles {
		s[i] = string(r)
	}
	return strings.Join(s, "、")
}
