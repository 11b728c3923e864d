package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"shenguan/domain"
	"shenguan/domain/cases"
	"shenguan/domain/directory"
	"shenguan/domain/subject"
)

// The demo district (REFERENCE.md, "A realistic district for demo data"):
// the district office with its approval sections, the line bureaus that
// supervise, the street offices that approve local matters, and the
// catalogue of matters between them. Nothing here depends on the seed:
// the district is the same in every demo store.

// demoUnit is a unit of the demo district.
type demoUnit struct {
	ID       string
	Name     string
	Kinds    []directory.Kind
	Sections []directory.Section
	// Leaders are the names of the level-1, level-2 and level-3 coordinators.
	Leaders [3]string
}

// officeID is the district office (区政务服务办).
const officeID = "zwfwb"

var demoUnits = []demoUnit{
	{ID: officeID, Name: "东丽区政务服务办", Kinds: []directory.Kind{directory.KindServiceOffice, directory.KindApproval},
		Sections: []directory.Section{
			{ID: "zwfwb-sczr", Name: "市场准入科", Side: directory.SideApproval},
			{ID: "zwfwb-jsxm", Name: "建设项目科", Side: directory.SideApproval},
			{ID: "zwfwb-shsw", Name: "社会事务科", Side: directory.SideApproval},
		}},
	{ID: "scjgj", Name: "东丽区市场监管局", Sections: []directory.Section{
		{ID: "scjgj-spjg", Name: "食品经营监管科", Side: directory.SideSupervision},
		{ID: "scjgj-ypjg", Name: "药品监管科", Side: directory.SideSupervision},
	}},
	{ID: "zjw", Name: "东丽区住房和建设委员会"},
	{ID: "sthjj", Name: "东丽区生态环境局"},
	{ID: "wjw", Name: "东丽区卫生健康委员会"},
	{ID: "yjglj", Name: "东丽区应急管理局"},
	{ID: "jtysj", Name: "东丽区交通运输局"},
	{ID: "whlyj", Name: "东丽区文化和旅游局"},
	{ID: "jyj", Name: "东丽区教育局"},
	{ID: "rsj", Name: "东丽区人力资源和社会保障局"},
	{ID: "cgw", Name: "东丽区城市管理委员会"},
	{ID: "nyncw", Name: "东丽区农业农村委员会"},
}

// demoStreets are the street offices (街道) with their pinyin ids; the rural
// ones also approve homestead applications.
var demoStreets = []struct {
	ID, Name string
	Rural    bool
}{
	{"zgz", "张贵庄街道", false}, {"fnc", "丰年村街道", false}, {"wx", "万新街道", false},
	{"wuxia", "无瑕街道", false}, {"xl", "新立街道", false}, {"hm", "华明街道", true},
	{"jz", "金钟街道", true}, {"jlc", "军粮城街道", true}, {"jq", "金桥街道", false},
	{"hx", "华新街道", false}, {"dlh", "东丽湖街道", false},
}

func init() {
	for _, s := range demoStreets {
		demoUnits = append(demoUnits, demoUnit{ID: "jd-" + s.ID, Name: "东丽区" + s.Name,
			Kinds: []directory.Kind{directory.KindStreet, directory.KindApproval}})
	}
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段")
	given := []string{"建国", "海燕", "志强", "丽华", "国庆", "秀英", "振华", "春梅", "立新", "淑芬", "宏伟", "晓东",
		"玉兰", "德胜", "桂芳", "文斌", "红霞", "永刚", "静", "磊", "敏", "伟", "洁", "军"}
	for i := range demoUnits {
		u := &demoUnits[i]
		if len(u.Kinds) == 0 {
			u.Kinds = []directory.Kind{directory.KindSupervision}
		}
		for l := range 3 {
			k := i*3 + l
			u.Leaders[l] = string(surnames[k%len(surnames)]) + given[(k*7+l)%len(given)]
		}
	}
}

// demoMatter is a catalogue matter of the demo district.
type demoMatter struct {
	directory.Matter
	// Section is the approval section of the district office that handles it.
	Section string
	// Applicant describes who applies: name patterns for organisations,
	// or persons (individuals with an identity card).
	Suffixes []string
	Persons  bool
	// Individual marks 个体工商户 (统一社会信用代码 starting with 92).
	Individual bool
}

// Matter codes the generator refers to.
const (
	matterFood      = "DL-XK-001" // 食品经营许可 ★
	matterPublic    = "DL-XK-003" // 公共场所卫生许可 ★
	matterHazchem   = "DL-XK-006" // 危险化学品经营许可 ▲
	matterPollution = "DL-XK-007" // 排污许可 ▲
	matterFreight   = "DL-XK-008" // 道路货物运输经营许可 ★
	matterHR        = "DL-XK-011" // 人力资源服务许可 ★
	matterAdverts   = "DL-XK-013" // 户外广告设施设置许可 ★
	matterComplex   = "DL-XK-015" // 大型商业综合体开业 (joint inspection)
	matterUsedCars  = "DL-XK-016" // no supervising unit yet: routing fails
)

func m(code, name, approver string, sup []string, commitment bool, risk directory.MajorRisk, section string, suffixes ...string) demoMatter {
	if risk == "" {
		risk = directory.RiskNone
	}
	return demoMatter{Matter: directory.Matter{Code: code, Name: name, ApprovingUnit: approver,
		SupervisingUnits: sup, CommitmentApplies: commitment, MajorRisk: risk}, Section: section, Suffixes: suffixes}
}

var demoMatters = func() []demoMatter {
	ms := []demoMatter{
		m(matterFood, "食品经营许可", officeID, []string{"scjgj"}, true, "", "zwfwb-sczr", "餐饮店", "超市", "食品店", "快餐店", "烘焙坊"),
		m("DL-XK-002", "药品零售企业许可", officeID, []string{"scjgj"}, false, "", "zwfwb-sczr", "大药房", "医药连锁有限公司"),
		m(matterPublic, "公共场所卫生许可", officeID, []string{"wjw"}, true, "", "zwfwb-shsw", "宾馆", "美容美发店", "洗浴中心", "酒店管理有限公司"),
		m("DL-XK-004", "医疗机构执业登记", officeID, []string{"wjw"}, false, "", "zwfwb-shsw", "诊所", "口腔门诊部", "中医诊所"),
		m("DL-XK-005", "建筑工程施工许可", officeID, []string{"zjw"}, false, "", "zwfwb-jsxm", "置业有限公司", "房地产开发有限公司", "建设工程有限公司"),
		m(matterHazchem, "危险化学品经营许可", officeID, []string{"yjglj"}, false, directory.RiskPublicSafety, "zwfwb-sczr", "化工贸易有限公司", "石化销售有限公司"),
		m(matterPollution, "排污许可", officeID, []string{"sthjj"}, false, directory.RiskEcologicalSecurity, "zwfwb-jsxm", "制造有限公司", "金属制品有限公司", "新材料科技有限公司"),
		m(matterFreight, "道路货物运输经营许可", officeID, []string{"jtysj"}, true, "", "zwfwb-sczr", "物流有限公司", "运输有限公司", "货运代理有限公司"),
		m("DL-XK-009", "娱乐场所经营许可", officeID, []string{"whlyj"}, false, "", "zwfwb-shsw", "娱乐有限公司", "KTV"),
		m("DL-XK-010", "民办培训机构设立", officeID, []string{"jyj"}, false, "", "zwfwb-shsw", "培训学校有限公司", "教育科技有限公司"),
		m(matterHR, "人力资源服务许可", officeID, []string{"rsj"}, true, "", "zwfwb-shsw", "人力资源服务有限公司", "劳务派遣有限公司"),
		m("DL-XK-012", "城市道路占用挖掘许可", officeID, []string{"cgw"}, false, "", "zwfwb-jsxm", "燃气有限公司", "热力有限公司", "市政工程有限公司"),
		m(matterAdverts, "户外广告设施设置许可", officeID, []string{"cgw"}, true, "", "zwfwb-jsxm", "广告有限公司", "文化传媒有限公司"),
		m("DL-XK-014", "生鲜乳收购站许可", officeID, []string{"nyncw"}, false, "", "zwfwb-sczr", "奶牛养殖专业合作社", "乳业有限公司"),
		m(matterComplex, "大型商业综合体开业", officeID, []string{"scjgj", "yjglj", "wjw"}, false, "", "zwfwb-sczr", "商业管理有限公司", "购物中心有限公司"),
		m(matterUsedCars, "二手车交易市场经营备案", officeID, nil, false, "", "zwfwb-sczr", "二手车交易市场有限公司"),
	}
	ms[0].Individual = true // many food shops are 个体工商户
	for i, s := range demoStreets {
		jd := "jd-" + s.ID
		ms = append(ms, m(fmt.Sprintf("DL-JD-%02d1", i+1), "临时占用城市道路审批（"+s.Name+"）", jd, []string{"cgw"}, false, "", "",
			"商贸有限公司", "便利店", "建筑装饰工程有限公司"))
		if s.Rural {
			hm := m(fmt.Sprintf("DL-JD-%02d2", i+1), "农村村民宅基地审批（"+s.Name+"）", jd, []string{"nyncw"}, false, "", "")
			hm.Persons = true
			ms = append(ms, hm)
		}
	}
	return ms
}()

// matterByCode returns the demo matter with code.
func matterByCode(code string) demoMatter {
	for _, m := range demoMatters {
		if m.Code == code {
			return m
		}
	}
	panic("demo: unknown matter " + code)
}

// The people of the demo: one approver per approving unit, one supervisor per
// supervising unit, the coordinators, the district office and an auditor.

func demoOffice() domain.Actor {
	return domain.Actor{ID: "demo:zwfwb:office", Name: "王主任", Unit: officeID, Roles: []domain.Role{domain.RoleServiceOffice}}
}

func demoApprover(unit string) domain.Actor {
	return domain.Actor{ID: "demo:" + unit + ":approver", Name: unitName(unit) + "审批员", Unit: unit, Roles: []domain.Role{domain.RoleApprover}}
}

func demoSupervisor(unit string) domain.Actor {
	return domain.Actor{ID: "demo:" + unit + ":supervisor", Name: unitName(unit) + "监管员", Unit: unit, Roles: []domain.Role{domain.RoleSupervisor}}
}

// demoCoordinator returns the coordinator of level 1, 2 or 3 of unit.
func demoCoordinator(unit string, level int) domain.Actor {
	role := []domain.Role{domain.RoleCoordinatorL1, domain.RoleCoordinatorL2, domain.RoleCoordinatorL3}[level-1]
	name := ""
	for _, u := range demoUnits {
		if u.ID == unit {
			name = u.Leaders[level-1]
		}
	}
	return domain.Actor{ID: fmt.Sprintf("demo:%s:l%d", unit, level), Name: name, Unit: unit, Roles: []domain.Role{role}}
}

func demoAuditor() domain.Actor {
	return domain.Actor{ID: "demo:auditor", Name: "审计员", Unit: officeID, Roles: []domain.Role{domain.RoleAuditor}}
}

func unitName(id string) string {
	for _, u := range demoUnits {
		if u.ID == id {
			return u.Name
		}
	}
	return id
}

// Subjects (行政相对人): firms with valid 统一社会信用代码, persons with valid
// 居民身份证号, all registered in 东丽区 (division code 120110).

const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// demoUSCC returns a valid 统一社会信用代码 of a 东丽区 enterprise (91…) or
// individual business (92…): both check characters computed.
func demoUSCC(r *rand.Rand, individual bool) string {
	var body strings.Builder
	for range 8 {
		body.WriteByte(usccAlphabet[r.IntN(len(usccAlphabet))])
	}
	oc, err := subject.OrgCodeCheckChar(body.String())
	if err != nil {
		panic(err)
	}
	prefix := "91"
	if individual {
		prefix = "92"
	}
	first17 := prefix + "120110" + body.String() + string(oc)
	c, err := subject.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// demoIDCard returns a valid 居民身份证号 of a person born 1955–1999 in 东丽区.
func demoIDCard(r *rand.Rand) string {
	y, mo, d := 1955+r.IntN(45), 1+r.IntN(12), 1+r.IntN(28)
	first17 := fmt.Sprintf("120110%04d%02d%02d%03d", y, mo, d, r.IntN(1000))
	c, err := subject.IDCardCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

var (
	firmWords = []string{"鑫源", "恒泰", "华顺", "宏达", "金桥", "瑞丰", "聚福", "永盛", "安泰", "嘉禾", "东方", "新华",
		"海河", "津丽", "盛世", "和顺", "广源", "利民", "康达", "兴隆", "正阳", "祥和", "金鼎", "百川", "万通", "天成",
		"润泽", "丰年", "福满", "佳美", "卓越", "远航", "蓝天", "绿源", "华美", "宝丰", "德信", "中和", "博雅", "腾飞"}
	personNames = []string{"张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周强", "吴敏", "徐军", "孙燕",
		"胡斌", "朱红", "高峰", "林涛", "何平", "郭亮", "马超", "罗霞"}
)

// demoSubject returns the applicant of a case of matter m.
func demoSubject(r *rand.Rand, m demoMatter) (kind subject.Kind, id, name string) {
	if m.Persons {
		return subject.KindPerson, demoIDCard(r), personNames[r.IntN(len(personNames))]
	}
	w := firmWords[r.IntN(len(firmWords))]
	if r.IntN(3) == 0 {
		w += firmWords[r.IntN(len(firmWords))]
	}
	suffix := m.Suffixes[r.IntN(len(m.Suffixes))]
	individual := m.Individual && !strings.Contains(suffix, "公司") && r.IntN(2) == 0
	if strings.Contains(suffix, "公司") || strings.Contains(suffix, "合作社") {
		name = "天津" + w + suffix
	} else {
		name = "天津市东丽区" + w + suffix
	}
	return subject.KindOrganisation, demoUSCC(r, individual), name
}

// docHash returns a stable SHA-256 (hex) standing for the content of a
// pushed document.
func docHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

// The cases of the demo: each is a script of commands that brings it into
// one state of its life (a scenario), with delays in working days between
// the steps, some of them later than the policy allows so that the
// obligations show late and overdue items.

// caseStep is one command of a case's script.
type caseStep struct {
	// Op is the GraphQL mutation that issues the command (security log).
	Op string
	// Days is the delay after the previous step (after the decision for the
	// first step) in working days; 0 means later the same day.
	Days int
	// Build returns the command, issued at at.
	Build func(at time.Time) cases.Command
	// At is the time of the step, set by schedule.
	At time.Time
}

// caseScript is one generated case.
type caseScript struct {
	ID       string
	Scenario string
	Matter   demoMatter
	Outcome  cases.Outcome
	Mode     cases.Mode
	Subject  cases.Subject
	Decided  time.Time
	Steps    []caseStep
	// Recent asks for a decision in the last working days of the window.
	Recent bool
}

// Final is the time of the last step.
func (s *caseScript) Final() time.Time { return s.Steps[len(s.Steps)-1].At }

// script builds a case script.
type script struct {
	r *rand.Rand
	s *caseScript
}

// delay returns a delay in working days: within [lo, hi] normally, within
// [lateLo, lateHi] with probability pLate.
func (b script) delay(lo, hi int, pLate float64, lateLo, lateHi int) int {
	if b.r.Float64() < pLate {
		return lateLo + b.r.IntN(lateHi-lateLo+1)
	}
	return lo + b.r.IntN(hi-lo+1)
}

func (b script) add(op string, days int, build func(at time.Time) cases.Command) {
	b.s.Steps = append(b.s.Steps, caseStep{Op: op, Days: days, Build: build})
}

func (b script) approver() domain.Actor { return demoApprover(b.s.Matter.ApprovingUnit) }

// matter picks the case's matter among codes and draws its applicant.
func (b script) matter(codes ...string) {
	m := matterByCode(codes[b.r.IntN(len(codes))])
	b.s.Matter = m
	kind, id, name := demoSubject(b.r, m)
	b.s.Subject = cases.Subject{Kind: kind, ID: id, Name: name}
}

func (b script) push(outcome cases.Outcome, mode cases.Mode) {
	s := b.s
	s.Outcome, s.Mode = outcome, mode
	docs := []cases.Document{
		{Name: "申请材料.pdf", Kind: cases.DocApplicationMaterials, SHA256: docHash(s.ID, "申请材料"), Size: 200_000 + b.r.Int64N(3_000_000)},
		{Name: resultDocName(outcome), Kind: cases.DocResult, SHA256: docHash(s.ID, "审批结果"), Size: 50_000 + b.r.Int64N(400_000)},
	}
	if mode == cases.ModeCommitment {
		docs = append(docs, cases.Document{Name: "告知承诺书.pdf", Kind: cases.DocCommitmentLetter,
			SHA256: docHash(s.ID, "告知承诺书"), Size: 30_000 + b.r.Int64N(200_000)})
	}
	serial := 1 + b.r.IntN(99999)
	b.add("pushApproval", b.delay(0, 1, 0.1, 2, 4), func(at time.Time) cases.Command {
		p := cases.Push{Actor: b.approver(), CaseID: s.ID, Matter: cases.MatterSnapshot{Code: s.Matter.Code},
			Subject: s.Subject, Outcome: outcome, DecidedAt: s.Decided, Mode: mode, Documents: docs}
		if outcome == cases.OutcomeGranted {
			p.PermitNumber = fmt.Sprintf("津丽审批许字〔%d〕第%05d号", s.Decided.Year(), serial)
		}
		return p
	})
}

func resultDocName(o cases.Outcome) string {
	switch o {
	case cases.OutcomeDenied:
		return "不予行政许可决定书.pdf"
	case cases.OutcomeWithdrawn:
		return "撤销行政许可决定书.pdf"
	}
	return "准予行政许可决定书.pdf"
}

func (b script) sealed() {
	s, n := b.s, 1+b.r.IntN(400)
	b.add("recordSealedDocument", b.delay(0, 1, 0, 0, 0), func(at time.Time) cases.Command {
		return cases.RecordSealedDocument{Actor: b.approver(), CaseID: s.ID, Number: fmt.Sprintf("东丽政务〔%d〕%d号", at.Year(), n)}
	})
}

func (b script) receive(unit string) {
	s := b.s
	b.add("receivePush", b.delay(0, 1, 0.12, 2, 5), func(time.Time) cases.Command {
		return cases.Receive{Actor: demoSupervisor(unit), CaseID: s.ID}
	})
}

func (b script) returnPush(unit string, reason cases.ReturnReason, note string) {
	s := b.s
	b.add("returnPush", b.delay(0, 1, 0.1, 2, 3), func(time.Time) cases.Command {
		return cases.Return{Actor: demoSupervisor(unit), CaseID: s.ID, Reason: reason, Note: note}
	})
}

func (b script) reRoute(units ...string) {
	s := b.s
	b.add("reRoute", b.delay(0, 2, 0.1, 3, 5), func(time.Time) cases.Command {
		return cases.ReRoute{Actor: b.approver(), CaseID: s.ID, Units: units, Note: "经核实改由" + unitName(units[0]) + "监管"}
	})
}

func (b script) disputeReturn(unit string) {
	s := b.s
	b.add("disputeReturn", b.delay(1, 2, 0, 0, 0), func(time.Time) cases.Command {
		return cases.DisputeReturn{Actor: b.approver(), CaseID: s.ID, ReturnUnit: unit,
			Reason: "该事项监管清单明确由" + unitName(unit) + "负责，退回理由不成立"}
	})
}

func (b script) startVerification(unit string) {
	s := b.s
	b.add("startVerification", b.delay(0, 1, 0.15, 2, 4), func(time.Time) cases.Command {
		return cases.StartVerification{Actor: demoSupervisor(unit), CaseID: s.ID}
	})
}

func (b script) organiseJoint(lead string, others ...string) {
	s := b.s
	b.add("organiseJointInspection", b.delay(1, 2, 0, 0, 0), func(time.Time) cases.Command {
		return cases.OrganiseJointInspection{Actor: demoSupervisor(lead), CaseID: s.ID, Units: others,
			Plan: "会同" + strings.Join(unitNames(others), "、") + "开展开业前联合检查（消防通道、食品安全、公共卫生）"}
	})
}

func (b script) completeJoint(lead string) {
	s := b.s
	b.add("completeJointInspection", b.delay(3, 7, 0.15, 9, 11), func(time.Time) cases.Command {
		return cases.CompleteJointInspection{Actor: demoSupervisor(lead), CaseID: s.ID, Seq: 1,
			Findings: "现场检查未发现重大隐患，已当场指出的3处问题均已整改"}
	})
}

func (b script) completeVerification(unit string, result cases.VerificationResult, days int) {
	s := b.s
	note := ""
	switch result {
	case cases.VerificationUntrue:
		note = untrueNotes[b.r.IntN(len(untrueNotes))]
	case cases.VerificationNonCompliant:
		note = "现场核查发现存在违反法律法规的经营行为"
	}
	b.add("completeVerification", days, func(time.Time) cases.Command {
		return cases.CompleteVerification{Actor: demoSupervisor(unit), CaseID: s.ID, Result: result, Note: note}
	})
}

var untrueNotes = []string{
	"现场核查发现经营场所面积与承诺不符",
	"承诺的专职管理人员未到岗",
	"承诺具备的冷藏设施不存在",
	"实际车辆数量少于承诺数量，部分车辆无道路运输证",
	"承诺的从业人员健康证明缺失",
}

func (b script) recordViolation(unit string, days int) {
	s := b.s
	b.add("recordViolation", days, func(at time.Time) cases.Command {
		return cases.RecordViolation{Actor: demoSupervisor(unit), CaseID: s.ID, DiscoveredAt: at,
			Description: "日常检查发现超出许可范围经营"}
	})
}

func (b script) feedback(unit string, seq int) {
	s := b.s
	paper := b.r.IntN(3) == 0
	n := 1 + b.r.IntN(300)
	b.add("submitFeedback", b.delay(0, 1, 0.1, 2, 3), func(at time.Time) cases.Command {
		c := cases.SubmitFeedback{Actor: demoSupervisor(unit), CaseID: s.ID, ViolationSeq: seq, Channel: cases.ChannelSystem,
			Content: "经核查，行政相对人承诺内容与实际不符，现将有关情况反馈贵单位"}
		if paper {
			c.Channel, c.LetterNumber = cases.ChannelPaperLetter, fmt.Sprintf("%s函〔%d〕%d号", strings.TrimPrefix(unitName(unit), "东丽区"), at.Year(), n)
		}
		return c
	})
}

func (b script) orderRectification(unit string) {
	s := b.s
	b.add("orderRectification", b.delay(0, 2, 0, 0, 0), func(at time.Time) cases.Command {
		return cases.OrderRectification{Actor: demoSupervisor(unit), CaseID: s.ID,
			Requirement: "责令于期限内按承诺内容完成整改并提交整改报告", Deadline: at.AddDate(0, 0, 15)}
	})
}

func (b script) confirmRectification(unit string) {
	s := b.s
	b.add("confirmRectification", b.delay(5, 9, 0, 0, 0), func(time.Time) cases.Command {
		return cases.ConfirmRectification{Actor: demoSupervisor(unit), CaseID: s.ID, Seq: 1, Rectified: true, Note: "复查确认已按期整改"}
	})
}

func (b script) penalty(unit string) {
	s, n := b.s, 1+b.r.IntN(900)
	b.add("imposePenalty", b.delay(3, 10, 0, 0, 0), func(at time.Time) cases.Command {
		return cases.ImposePenalty{Actor: demoSupervisor(unit), CaseID: s.ID,
			DecisionNumber: fmt.Sprintf("津丽%s罚〔%d〕%d号", strings.TrimPrefix(unitName(unit), "东丽区")[:6], at.Year(), n),
			Summary:        "警告并处罚款人民币五千元"}
	})
}

func (b script) requestRevocation(unit string) {
	s, n := b.s, 1+b.r.IntN(200)
	b.add("requestRevocation", b.delay(2, 8, 0, 0, 0), func(at time.Time) cases.Command {
		return cases.RequestRevocation{Actor: demoSupervisor(unit), CaseID: s.ID,
			DocumentNumber: fmt.Sprintf("%s文〔%d〕%d号", strings.TrimPrefix(unitName(unit), "东丽区"), at.Year(), n),
			Reason:         "行政相对人承诺不实且逾期未整改，建议依法撤销行政许可"}
	})
}

func (b script) decideRevocation(dishonest bool) {
	s, n := b.s, 1+b.r.IntN(200)
	b.add("decideRevocation", b.delay(3, 8, 0.12, 11, 13), func(at time.Time) cases.Command {
		reason := "承诺不实，依法撤销"
		if dishonest {
			reason = "以欺骗手段取得行政许可，依法撤销并记入政务服务信用记录"
		}
		return cases.DecideRevocation{Actor: b.approver(), CaseID: s.ID, Dishonest: dishonest, Reason: reason,
			DecisionNumber: fmt.Sprintf("津丽审批撤字〔%d〕%d号", at.Year(), n)}
	})
}

func (b script) declineRevocation() {
	s, n := b.s, 1+b.r.IntN(200)
	b.add("declineRevocation", b.delay(3, 8, 0.12, 11, 13), func(at time.Time) cases.Command {
		return cases.DeclineRevocation{Actor: b.approver(), CaseID: s.ID,
			Explanation:    "行政相对人已按期整改到位，不属于应当撤销的情形",
			DocumentNumber: fmt.Sprintf("津丽审批函〔%d〕%d号", at.Year(), n)}
	})
}

func (b script) close() {
	s := b.s
	b.add("closeCase", b.delay(1, 5, 0, 0, 0), func(time.Time) cases.Command {
		return cases.Close{Actor: b.approver(), CaseID: s.ID, Note: "审管流程已完成"}
	})
}

func unitNames(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = unitName(id)
	}
	return out
}

// Matter groups the scenarios draw from.
var (
	standardMatters = func() []string {
		codes := []string{"DL-XK-002", "DL-XK-004", "DL-XK-005", "DL-XK-009", "DL-XK-010", "DL-XK-012", "DL-XK-014",
			matterFood, matterPublic, matterFreight}
		for _, m := range demoMatters {
			if strings.HasPrefix(m.Code, "DL-JD-") {
				codes = append(codes, m.Code)
			}
		}
		return codes
	}()
	commitmentMatters = []string{matterFood, matterFood, matterPublic, matterFreight, matterHR, matterAdverts}
	majorMatters      = []string{matterHazchem, matterPollution}
)

// demoScenario is a way a case goes; weight is its share of the cases.
type demoScenario struct {
	name   string
	weight int
	build  func(b script)
}

// commitmentUntrue builds the common start of the untrue-commitment
// scenarios: push, receipt, verification, result UNTRUE.
func commitmentUntrue(b script) string {
	b.matter(commitmentMatters...)
	u := b.s.Matter.SupervisingUnits[0]
	b.push(cases.OutcomeGranted, cases.ModeCommitment)
	b.receive(u)
	b.startVerification(u)
	b.completeVerification(u, cases.VerificationUntrue, b.delay(2, 6, 0, 0, 0))
	return u
}

func commitmentFeedback(b script) string {
	u := commitmentUntrue(b)
	b.feedback(u, 1)
	return u
}

func standardReceived(b script) string {
	b.matter(standardMatters...)
	u := b.s.Matter.SupervisingUnits[0]
	b.push(cases.OutcomeGranted, cases.ModeStandard)
	b.receive(u)
	return u
}

var demoScenarios = []demoScenario{
	{"pushed", 5, func(b script) { b.matter(standardMatters...); b.push(cases.OutcomeGranted, cases.ModeStandard) }},
	{"pushed-recent", 2, func(b script) {
		b.s.Recent = true
		b.matter(standardMatters...)
		b.push(cases.OutcomeGranted, cases.ModeStandard)
	}},
	{"received", 12, func(b script) { standardReceived(b) }},
	{"closed", 22, func(b script) { standardReceived(b); b.close() }},
	{"partially-received", 2, func(b script) {
		b.matter(matterComplex)
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		b.receive("scjgj")
	}},
	{"returned", 3, func(b script) {
		b.matter("DL-XK-002", "DL-XK-009", "DL-XK-010")
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		b.returnPush(b.s.Matter.SupervisingUnits[0], cases.ReturnIncompleteMaterials, "")
	}},
	{"rerouted", 2, func(b script) {
		b.matter("DL-XK-012")
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		b.returnPush("cgw", cases.ReturnWrongUnit, "")
		b.reRoute("zjw")
		b.receive("zjw")
	}},
	{"return-disputed", 1, func(b script) {
		b.matter("DL-XK-004")
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		b.returnPush("wjw", cases.ReturnNotInScope, "")
		b.disputeReturn("wjw")
	}},
	{"routing-failed", 2, func(b script) { b.matter(matterUsedCars); b.push(cases.OutcomeGranted, cases.ModeStandard) }},
	{"withdrawn", 2, func(b script) {
		b.matter(standardMatters...)
		b.push(cases.OutcomeWithdrawn, cases.ModeStandard)
		b.receive(b.s.Matter.SupervisingUnits[0])
		b.close()
	}},
	{"denied", 2, func(b script) {
		b.matter(standardMatters...)
		b.push(cases.OutcomeDenied, cases.ModeStandard)
		b.receive(b.s.Matter.SupervisingUnits[0])
		b.close()
	}},
	{"major-sealed", 4, func(b script) {
		b.matter(majorMatters...)
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		b.sealed()
		b.receive(b.s.Matter.SupervisingUnits[0])
		b.close()
	}},
	{"major-unsealed", 1, func(b script) {
		b.matter(majorMatters...)
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		b.receive(b.s.Matter.SupervisingUnits[0])
	}},
	{"verification-not-started", 3, func(b script) {
		b.matter(commitmentMatters...)
		b.push(cases.OutcomeGranted, cases.ModeCommitment)
		b.receive(b.s.Matter.SupervisingUnits[0])
	}},
	{"under-verification", 5, func(b script) {
		b.matter(commitmentMatters...)
		u := b.s.Matter.SupervisingUnits[0]
		b.push(cases.OutcomeGranted, cases.ModeCommitment)
		b.receive(u)
		b.startVerification(u)
	}},
	{"verified", 5, func(b script) {
		b.matter(commitmentMatters...)
		u := b.s.Matter.SupervisingUnits[0]
		b.push(cases.OutcomeGranted, cases.ModeCommitment)
		b.receive(u)
		b.startVerification(u)
		b.completeVerification(u, cases.VerificationConfirmed, b.delay(2, 8, 0, 0, 0))
	}},
	{"verified-closed", 8, func(b script) {
		b.matter(commitmentMatters...)
		u := b.s.Matter.SupervisingUnits[0]
		b.push(cases.OutcomeGranted, cases.ModeCommitment)
		b.receive(u)
		b.startVerification(u)
		b.completeVerification(u, cases.VerificationConfirmed, b.delay(2, 8, 0, 0, 0))
		b.close()
	}},
	{"untrue-no-feedback", 1, func(b script) { commitmentUntrue(b) }},
	{"feedback", 2, func(b script) { commitmentFeedback(b) }},
	{"rectifying", 3, func(b script) { b.orderRectification(commitmentFeedback(b)) }},
	{"rectified-closed", 2, func(b script) {
		u := commitmentFeedback(b)
		b.orderRectification(u)
		b.confirmRectification(u)
		b.close()
	}},
	{"penalty", 2, func(b script) { b.penalty(commitmentFeedback(b)) }},
	{"revocation-requested", 2, func(b script) { b.requestRevocation(commitmentFeedback(b)) }},
	{"revoked-dishonest", 2, func(b script) {
		b.requestRevocation(commitmentFeedback(b))
		b.decideRevocation(true)
	}},
	{"revoked", 1, func(b script) {
		b.requestRevocation(commitmentFeedback(b))
		b.decideRevocation(false)
	}},
	{"revocation-declined", 2, func(b script) {
		b.requestRevocation(commitmentFeedback(b))
		b.declineRevocation()
	}},
	{"joint-inspecting", 1, func(b script) {
		b.matter(matterComplex)
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		for _, u := range b.s.Matter.SupervisingUnits {
			b.receive(u)
		}
		b.startVerification("scjgj")
		b.organiseJoint("scjgj", "yjglj", "wjw")
	}},
	{"joint-closed", 2, func(b script) {
		b.matter(matterComplex)
		b.push(cases.OutcomeGranted, cases.ModeStandard)
		for _, u := range b.s.Matter.SupervisingUnits {
			b.receive(u)
		}
		b.startVerification("scjgj")
		b.organiseJoint("scjgj", "yjglj", "wjw")
		b.completeJoint("scjgj")
		b.completeVerification("scjgj", cases.VerificationConfirmed, b.delay(0, 1, 0, 0, 0))
		b.close()
	}},
	{"violation-found-later", 2, func(b script) {
		u := standardReceived(b)
		b.recordViolation(u, b.delay(8, 25, 0, 0, 0))
		b.feedback(u, 1)
	}},
}

// planCases generates n case scripts for seed: every scenario at least once,
// the rest by weight, in an order shuffled by the seed. Ids do not depend on
// the clock, so that a second run addresses the same cases.
func planCases(seed uint64, n int) ([]*caseScript, error) {
	if n < len(demoScenarios) {
		return nil, usagef("--cases 至少为 %d（每种办件状态至少一件）", len(demoScenarios))
	}
	total := 0
	for _, sc := range demoScenarios {
		total += sc.weight
	}
	counts := make([]int, len(demoScenarios))
	rest, given := n-len(demoScenarios), 0
	for i, sc := range demoScenarios {
		counts[i] = 1 + rest*sc.weight/total
		given += counts[i]
	}
	for i := 0; given < n; i = (i + 1) % len(counts) { // remainders to the first scenarios
		counts[i]++
		given++
	}
	var order []int
	for i, c := range counts {
		for range c {
			order = append(order, i)
		}
	}
	rand.New(rand.NewPCG(seed, 0x5eed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	out := make([]*caseScript, len(order))
	for k, i := range order {
		s := &caseScript{ID: fmt.Sprintf("DL-%d-%04d", seed, k+1), Scenario: demoScenarios[i].name}
		demoScenarios[i].build(script{r: rand.New(rand.NewPCG(seed, uint64(k+1))), s: s})
		out[k] = s
	}
	return out, nil
}

// demoMaxBulk bounds shenguan demo --bulk.
const demoMaxBulk = 1_000_000

// planBulk generates n plain cases for load measurements (shenguan demo
// --bulk): each a push of a standard matter, received by its supervising
// unit, so that none of them leaves an obligation open. Ids are
// "DL-<seed>-B<k>", stable across runs like those of planCases.
func planBulk(seed uint64, n int) []*caseScript {
	out := make([]*caseScript, n)
	for k := range n {
		s := &caseScript{ID: fmt.Sprintf("DL-%d-B%06d", seed, k+1), Scenario: "bulk-received"}
		standardReceived(script{r: rand.New(rand.NewPCG(seed, 1<<40|uint64(k+1))), s: s})
		// Among so many drawn applicants some repeat: such a push is
		// confirmed as not a duplicate, as an approver would.
		build := s.Steps[0].Build
		s.Steps[0].Build = func(at time.Time) cases.Command {
			p := build(at).(cases.Push)
			p.ConfirmDuplicate = true
			return p
		}
		out[k] = s
	}
	return out
}
