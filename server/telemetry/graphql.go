package telemetry

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// GraphQL is the gqlgen extension that tells the request's Info which
// operation ran and how it ended, adds extensions.requestId to the
// response and, with tracing on, wraps the operation in a span. It must
// be the first extension used, outside the response cache, so that
// answers from the cache are seen too.
type GraphQL struct {
	// Principal returns the email of the caller in ctx ("" if anonymous),
	// for the access log.
	Principal func(ctx context.Context) string
}

var (
	_ graphql.HandlerExtension     = GraphQL{}
	_ graphql.OperationInterceptor = GraphQL{}
	_ graphql.ResponseInterceptor  = GraphQL{}
)

// ExtensionName names the extension for gqlgen.
func (GraphQL) ExtensionName() string { return "Telemetry" }

// Validate accepts every schema.
func (GraphQL) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation sees every operation that passed parsing and the
// document checks, whether the cache or the resolvers answer it.
func (g GraphQL) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	info := From(ctx)
	if info == nil {
		return next(ctx)
	}
	info.dispatched = true
	oc := graphql.GetOperationContext(ctx)
	name := operationName(oc)
	var span trace.Span
	if info.m != nil && info.m.tracer != nil {
		kind := "query"
		if oc != nil && oc.Operation != nil {
			kind = string(oc.Operation.Operation)
		}
		ctx, span = info.m.tracer.Start(ctx, "graphql "+kind+" "+spanName(name), trace.WithAttributes(
			attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", kind)))
	}
	rh := next(ctx)
	return func(ctx context.Context) *graphql.Response {
		resp := rh(ctx)
		if resp != nil {
			g.record(ctx, info, name, resp.Errors)
			if resp.Extensions == nil {
				resp.Extensions = map[string]any{}
			}
			resp.Extensions["requestId"] = info.ID
		}
		if span != nil {
			span.SetAttributes(attribute.String("dpcma.outcome", info.outcome), attribute.Int64("dpcma.sql_statements", info.statements.Load()))
			if info.outcome != "ok" {
				span.SetStatus(codes.Error, info.outcome)
			}
			span.End()
			span = nil // queries and mutations answer once
		}
		return resp
	}
}

// InterceptResponse sees the requests refused before an operation runs
// (parse and validation errors, refused documents, unknown persisted
// queries); the others it leaves to InterceptOperation.
func (g GraphQL) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	info := From(ctx)
	if info == nil || info.dispatched {
		return next(ctx)
	}
	// A body that is not a GraphQL request is refused before gqlgen makes
	// an operation context, which RegisterExtension and
	// GetOperationContext need.
	var oc *graphql.OperationContext
	if graphql.HasOperationContext(ctx) {
		oc = graphql.GetOperationContext(ctx)
		graphql.RegisterExtension(ctx, "requestId", info.ID)
	}
	resp := next(ctx)
	if resp != nil {
		if oc == nil {
			if resp.Extensions == nil {
				resp.Extensions = map[string]any{}
			}
			resp.Extensions["requestId"] = info.ID
		}
		g.record(ctx, info, operationName(oc), resp.Errors)
	}
	return resp
}

func (g GraphQL) record(ctx context.Context, info *Info, name string, errs gqlerror.List) {
	info.graphql = true
	info.operation = name
	info.outcome = outcome(errs)
	if g.Principal != nil {
		info.principal = g.Principal(ctx)
	}
}

func operationName(oc *graphql.OperationContext) string {
	if oc == nil {
		return ""
	}
	if oc.Operation != nil && oc.Operation.Name != "" {
		return oc.Operation.Name
	}
	return oc.OperationName
}

func spanName(name string) string {
	if name == "" || !graphQLName(name) {
		return "anonymous"
	}
	return name
}

// outcome is "ok", or the first error's code: codes are the server's own
// (graph/apperr and gqlgen's), a bounded set, but anything else is
// "error".
func outcome(errs gqlerror.List) string {
	if len(errs) == 0 {
		return "ok"
	}
	code, _ := errs[0].Extensions["code"].(string)
	if code == "" || len(code) > 40 {
		return "error"
	}
	for i := 0; i < len(code); i++ {
		if c := code[i]; c != '_' && (c < 'A' || c > 'Z') {
			return "error"
		}
	}
	return code
}
