package directory

import "shenguan/domain"

// Domain errors of the directory.
var (
	ErrUnitNotFound          = domain.NewError("UNIT_NOT_FOUND", "单位不存在")
	ErrUnitAlreadyExists     = domain.NewError("UNIT_ALREADY_EXISTS", "单位已登记")
	ErrInvalidUnitKind       = domain.NewError("INVALID_UNIT_KIND", "单位类型无效（应为审批、监管、街道或政务服务办）")
	ErrSectionExists         = domain.NewError("SECTION_ALREADY_EXISTS", "科室已存在")
	ErrInvalidSection        = domain.NewError("INVALID_SECTION", "科室信息无效")
	ErrInvalidLevel          = domain.NewError("INVALID_COORDINATOR_LEVEL", "协调员级别应为一级、二级或三级")
	ErrScopeRequired         = domain.NewError("COORDINATOR_SCOPE_REQUIRED", "二级协调员须指定负责的事项或科室")
	ErrUnknownSection        = domain.NewError("UNKNOWN_SECTION", "科室不属于本单位")
	ErrAlreadyAppointed      = domain.NewError("COORDINATOR_ALREADY_APPOINTED", "该人员已是本单位该级协调员")
	ErrNotAppointed          = domain.NewError("COORDINATOR_NOT_APPOINTED", "该人员不是本单位该级协调员")
	ErrMatterNotFound        = domain.NewError("MATTER_NOT_FOUND", "事项不存在")
	ErrMatterAlreadyExists   = domain.NewError("MATTER_ALREADY_EXISTS", "事项编码已存在")
	ErrMatterRetired         = domain.NewError("MATTER_RETIRED", "事项已停用")
	ErrInvalidMajorRisk      = domain.NewError("INVALID_MAJOR_RISK", "重大风险类别无效")
	ErrApprovingUnitRequired = domain.NewError("APPROVING_UNIT_REQUIRED", "事项须指定审批部门")
	ErrNotServiceOffice      = domain.NewError("NOT_SERVICE_OFFICE", "只有区政务服务办可以管理单位、事项和协调员目录")
)
