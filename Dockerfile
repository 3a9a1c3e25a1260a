# Build a static binary with time zone data, then run it as non-root on a
# minimal image that carries CA certificates.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
    -ldflags "-s -w -X main.version=${VERSION}" -o /out/sangkien ./cmd/sangkien

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sangkien /usr/local/bin/sangkien
USER nonroot:nonroot
WORKDIR /home/nonroot
ENV SANGKIEN_HTTP_ADDR=:8080 SANGKIEN_DATA_DIR=/home/nonroot/data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/sangkien"]
CMD ["serve"]
