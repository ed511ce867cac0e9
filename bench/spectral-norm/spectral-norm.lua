-- spectral-norm: the same algorithm and order of floating-point operations as spectral-norm.ilu
-- (vectors are indexed from 0 there; here from 1, with A's indices shifted back).
local function a(i, j)
    return 1 / ((i + j) * (i + j + 1) / 2 + i + 1)
end

local function mul_av(n, v, out)
    for i = 0, n - 1 do
        local s = 0
        for j = 0, n - 1 do s = s + a(i, j) * v[j + 1] end
        out[i + 1] = s
    end
end

local function mul_atv(n, v, out)
    for i = 0, n - 1 do
        local s = 0
        for j = 0, n - 1 do s = s + a(j, i) * v[j + 1] end
        out[i + 1] = s
    end
end

local function mul_atav(n, v, out, tmp)
    mul_av(n, v, tmp)
    mul_atv(n, tmp, out)
end

local function filled(n, x)
    local xs = {}
    for i = 1, n do xs[i] = x end
    return xs
end

-- x with 9 decimals, rounded half up on the scaled value, exactly as spectral-norm.ilu does.
local function fix9(x)
    local sign = x < 0 and "-" or ""
    local scaled = math.floor(math.abs(x) * 1000000000 + 0.5)
    local ip = math.floor(scaled / 1000000000)
    return string.format("%s%d.%09d", sign, ip, scaled - ip * 1000000000)
end

local n = 1000 -- bench:size
local u, v, tmp = filled(n, 1), filled(n, 0), filled(n, 0)
for _ = 1, 10 do
    mul_atav(n, u, v, tmp)
    mul_atav(n, v, u, tmp)
end
local vbv, vv = 0, 0
for i = 1, n do
    vbv = vbv + u[i] * v[i]
    vv = vv + v[i] * v[i]
end
print(fix9(math.sqrt(vbv / vv)))
