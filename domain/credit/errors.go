package credit

import "shenguan/domain"

// Domain errors of the credit record. Missing input is
// domain.ErrValidation; a wrong role is domain.ErrForbidden; a malformed
// identity is the subject package's error.
var (
	ErrSubjectMismatch = domain.NewError("CREDIT_SUBJECT_MISMATCH", "信用记录与行政相对人不符")
	ErrEntryNotFound   = domain.NewError("CREDIT_ENTRY_NOT_FOUND", "失信记录不存在")
	ErrAlreadyRepaired = domain.NewError("CREDIT_ALREADY_REPAIRED", "该失信记录已修复")
)
