package auth

import (
	"encoding/json"
	"net/http"
	"strings"

	"shenguan/domain"
)

// Middleware authenticates HTTP requests by their "Authorization: Bearer"
// header. A valid token puts its actor into the request's context
// (ActorFrom); a request without a token passes on anonymous, and the API
// refuses it with UNAUTHENTICATED on anything but public fields; an invalid
// token is answered here with HTTP 401 and a GraphQL error body carrying
// extensions.code UNAUTHENTICATED. Websocket upgrades pass on untouched: they
// authenticate in connection_init.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := BearerToken(h)
		if !ok {
			Unauthorized(w, ErrTokenInvalid)
			return
		}
		a, err := v.Verify(r.Context(), token)
		if err != nil {
			Unauthorized(w, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithActor(r.Context(), a)))
	})
}

// Unauthorized answers HTTP 401 with a GraphQL response whose one error
// carries extensions.code UNAUTHENTICATED and err's zh-CN message (when err
// is a *domain.Error; the generic message otherwise).
func Unauthorized(w http.ResponseWriter, err error) {
	msg := ErrUnauthenticated.Message
	if de, ok := err.(*domain.Error); ok {
		msg = de.Message
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	w.WriteHeader(http.StatusUnauthorized)
	json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{
			"message":    msg,
			"extensions": map[string]any{"code": ErrUnauthenticated.Code},
		}},
	})
}

// PayloadAuthorization returns the Authorization value of a websocket
// connection_init payload, its key matched case-insensitively.
func PayloadAuthorization(payload map[string]any) string {
	for k, v := range payload {
		if strings.EqualFold(k, "Authorization") {
			s, _ := v.(string)
			return s
		}
	}
	return ""
}
