# Varnish in front of Khobor, purged by surrogate key (docs/CDN.md). This is the very VCL
# tests/it/cdn.rs runs a real Varnish with; only the backend's port differs there.
# Needs Varnish 6 or newer and the xkey module (Debian: varnish, varnish-modules).
vcl 4.1;

import xkey;

# The Khobor node (or the load balancer in front of several).
backend default {
    .host = "127.0.0.1";
    .port = "8080";
}

# Who may purge: the Khobor nodes. Every other PURGE is refused.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "PURGE needs an xkey-purge header naming the keys"));
        }
        set req.http.n-gone = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Invalidated " + req.http.n-gone + " objects"));
    }
    # The newsroom, the admin API, logins and metrics are never cached.
    if (req.url ~ "^/(newsroom|api/v1/admin|metrics|healthz|readyz)") {
        return (pass);
    }
    # Readers' pages set and read no cookie: a cookie must not make every reader a miss.
    unset req.http.Cookie;
    # Trackers' parameters (Khobor ignores them too) must not split the cache.
    if (req.url ~ "[?&](utm_[a-z]+|fbclid|gclid)=") {
        set req.url = regsuball(req.url, "(utm_[a-z]+|fbclid|gclid)=[^&]*&?", "");
        set req.url = regsub(req.url, "[?&]+$", "");
    }
}

sub vcl_backend_response {
    # Khobor names what a response shows in Surrogate-Key; xkey indexes the xkey header.
    # Cache-Control's s-maxage sets how long Varnish keeps it (stale-while-revalidate: grace).
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
}

sub vcl_deliver {
    # Whether this answer came from the cache, for people and for the test.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys are for Varnish, not for readers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
