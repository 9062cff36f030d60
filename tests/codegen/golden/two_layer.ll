; ModuleID = "tenkai"
target triple = "x86_64-unknown-linux-gnu"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128"

define void @g0(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  %v7 = getelementptr inbounds float, ptr %v0, i64 0
  %v8 = getelementptr inbounds float, ptr %v1, i64 0
  %v9 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 100, i64 1000, ptr %v7, i64 1000, i64 1, ptr %v8, i64 100, i64 1, ptr %v9, i64 100, i32 0)
  br label %v10
v11:
  %v12 = phi  i64 [0, %v5], [%v13, %v10]
  %v14 = getelementptr inbounds float, ptr %v2, i64 %v12
  %v15 = load float, ptr %v14, align 4
  %v16 = fcmp ogt float %v15,              0x0
  %v17 = fcmp uno float %v15, %v15
  %v18 = or i1 %v16, %v17
  %v19 = select  i1 %v18, float %v15, float              0x0
  %v20 = getelementptr inbounds float, ptr %v2, i64 %v12
  %v21 = load float, ptr %v20, align 4
  %v22 = fcmp oge float %v21,              0x0
  %v23 = getelementptr inbounds float, ptr %v2, i64 %v12
  store float %v19, ptr %v23, align 4
  %v24 = zext i1 %v22 to i8
  %v25 = getelementptr inbounds i8, ptr %v3, i64 %v12
  store i8 %v24, ptr %v25, align 1
  %v13 = add nuw nsw i64 %v12, 1
  %v26 = icmp slt i64 %v13, 6400
  br i1 %v26, label %v10, label %v27, !llvm.loop !1
v28:
  ret void
}

declare void @g1(i64 %v29, i64 %v30, i64 %v31, ptr %v32, i64 %v33, i64 %v7, ptr %v8, i64 %v9, i64 %v34, ptr %v35, i64 %v14, i32 %v15)

define void @g2(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  br label %v6
v7:
  %v8 = getelementptr inbounds float, ptr %v0, i64 0
  %v9 = getelementptr inbounds float, ptr %v1, i64 0
  %v10 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 10, i64 100, ptr %v8, i64 100, i64 1, ptr %v9, i64 10, i64 1, ptr %v10, i64 10, i32 0)
  br label %v11
v12:
  %v13 = phi  i64 [0, %v6], [%v14, %v11]
  %v15 = getelementptr inbounds float, ptr %v2, i64 %v13
  %v16 = load float, ptr %v15, align 4
  %v17 = getelementptr inbounds float, ptr %v3, i64 %v13
  %v18 = load float, ptr %v17, align 4
  %v19 = fsub float %v16, %v18
  %v20 = call float @g3(float %v19, float 0x4000000000000000)
  %v21 = call float @g3(float %v19, float 0x3ff0000000000000)
  %v22 = fmul float 0x4000000000000000, %v21
  %v23 = select  i1 0, float              0x0, float %v22
  %v24 = getelementptr inbounds float, ptr %v2, i64 %v13
  store float %v20, ptr %v24, align 4
  %v25 = getelementptr inbounds float, ptr %v4, i64 %v13
  store float %v23, ptr %v25, align 4
  %v14 = add nuw nsw i64 %v13, 1
  %v26 = icmp slt i64 %v14, 640
  br i1 %v26, label %v11, label %v27, !llvm.loop !1
v28:
  ret void
}

declare float @g3(float %v29, float %v30)

define void @g4(ptr noalias %v0, ptr noalias %v1) noinline nounwind
{
v2:
  %v3 = alloca float
  br label %v4
v5:
  store float              0x0, float* %v3
  br label %v6
v7:
  %v8 = phi  i64 [0, %v4], [%v9, %v6]
  %v10 = getelementptr inbounds float, ptr %v0, i64 %v8
  %v11 = load float, ptr %v10, align 4
  %v12 = load float, float* %v3
  %v13 = fadd reassoc float %v12, %v11
  store float %v13, float* %v3
  %v9 = add nuw nsw i64 %v8, 1
  %v14 = icmp slt i64 %v9, 640
  br i1 %v14, label %v6, label %v15, !llvm.loop !1
v16:
  %v17 = load float, float* %v3
  %v18 = getelementptr inbounds float, ptr %v1, i64 0
  store float %v17, ptr %v18, align 4
  ret void
}

define void @g5(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3) noinline nounwind
{
v4:
  br label %v5
v6:
  %v7 = getelementptr inbounds float, ptr %v0, i64 0
  %v8 = getelementptr inbounds float, ptr %v1, i64 0
  %v9 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 64, i64 100, i64 10, ptr %v7, i64 10, i64 1, ptr %v8, i64 1, i64 10, ptr %v9, i64 100, i32 0)
  br label %v10
v11:
  %v12 = phi  i64 [0, %v5], [%v13, %v10]
  %v14 = getelementptr inbounds i8, ptr %v3, i64 %v12
  %v15 = load i8, ptr %v14, align 1
  %v16 = icmp ne i8 %v15, 0
  %v17 = getelementptr inbounds float, ptr %v2, i64 %v12
  %v18 = load float, ptr %v17, align 4
  %v19 = select  i1 %v16, float %v18, float              0x0
  %v20 = getelementptr inbounds float, ptr %v2, i64 %v12
  store float %v19, ptr %v20, align 4
  %v13 = add nuw nsw i64 %v12, 1
  %v21 = icmp slt i64 %v13, 6400
  br i1 %v21, label %v10, label %v22, !llvm.loop !1
v23:
  ret void
}

define void @g6(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  br label %v6
v7:
  %v8 = getelementptr inbounds float, ptr %v0, i64 0
  %v9 = getelementptr inbounds float, ptr %v1, i64 0
  %v10 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 100, i64 10, i64 64, ptr %v8, i64 1, i64 100, ptr %v9, i64 10, i64 1, ptr %v10, i64 10, i32 0)
  br label %v11
v12:
  %v13 = phi  i64 [0, %v6], [%v14, %v11]
  %v15 = getelementptr inbounds double, ptr %v3, i64 0
  %v16 = load double, ptr %v15, align 8
  %v17 = fneg double %v16
  %v18 = fptrunc double %v17 to float
  %v19 = getelementptr inbounds float, ptr %v2, i64 %v13
  %v20 = load float, ptr %v19, align 4
  %v21 = fmul float %v20, %v18
  %v22 = getelementptr inbounds float, ptr %v4, i64 %v13
  %v23 = load float, ptr %v22, align 4
  %v24 = fadd float %v23, %v21
  %v25 = getelementptr inbounds float, ptr %v4, i64 %v13
  store float %v24, ptr %v25, align 4
  %v14 = add nuw nsw i64 %v13, 1
  %v26 = icmp slt i64 %v14, 1000
  br i1 %v26, label %v11, label %v27, !llvm.loop !1
v28:
  ret void
}

define void @g7(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4) noinline nounwind
{
v5:
  %v6 = alloca ptr, i32 5
  br label %v7
v8:
  %v9 = getelementptr inbounds float, ptr %v0, i64 0
  %v10 = getelementptr inbounds float, ptr %v1, i64 0
  %v11 = getelementptr inbounds float, ptr %v2, i64 0
  call void @g1(i64 1000, i64 100, i64 64, ptr %v9, i64 1, i64 1000, ptr %v10, i64 100, i64 1, ptr %v11, i64 100, i32 0)
  %v12 = getelementptr inbounds ptr, ptr %v6, i64 0
  store ptr %v0, ptr %v12
  %v13 = getelementptr inbounds ptr, ptr %v6, i64 1
  store ptr %v1, ptr %v13
  %v14 = getelementptr inbounds ptr, ptr %v6, i64 2
  store ptr %v2, ptr %v14
  %v15 = getelementptr inbounds ptr, ptr %v6, i64 3
  store ptr %v3, ptr %v15
  %v16 = getelementptr inbounds ptr, ptr %v6, i64 4
  store ptr %v4, ptr %v16
  call void @g8(void (ptr, i64, i64)* @g9, ptr %v6, i64 100000, i64 13108)
  ret void
}

define internal void @g10(ptr noalias %v0, ptr noalias %v1, ptr noalias %v2, ptr noalias %v3, ptr noalias %v4, i64 %v5, i64 %v6) nounwind
{
v7:
  br label %v8
v9:
  %v10 = icmp slt i64 %v5, %v6
  br i1 %v10, label %v11, label %v12
v13:
  %v14 = phi  i64 [%v5, %v8], [%v15, %v11]
  %v16 = getelementptr inbounds double, ptr %v3, i64 0
  %v17 = load double, ptr %v16, align 8
  %v18 = fneg double %v17
  %v19 = fptrunc double %v18 to float
  %v20 = getelementptr inbounds float, ptr %v2, i64 %v14
  %v21 = load float, ptr %v20, align 4
  %v22 = fmul float %v21, %v19
  %v23 = getelementptr inbounds float, ptr %v4, i64 %v14
  %v24 = load float, ptr %v23, align 4
  %v25 = fadd float %v24, %v22
  %v26 = getelementptr inbounds float, ptr %v4, i64 %v14
  store float %v25, ptr %v26, align 4
  %v15 = add nuw nsw i64 %v14, 1
  %v27 = icmp slt i64 %v15, %v6
  br i1 %v27, label %v11, label %v12, !llvm.loop !1
v28:
  ret void
}

define internal void @g9(ptr %v0, i64 %v1, i64 %v2) nounwind
{
v3:
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v9 = load ptr, ptr %v8
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v13 = load ptr, ptr %v12
  call void @g10(ptr %v5, ptr %v7, ptr %v9, ptr %v11, ptr %v13, i64 %v1, i64 %v2)
  ret void
}

declare void @g8(void (ptr, i64, i64)* %v0, ptr %v1, i64 %v2, i64 %v14)

define void @g11(ptr %v0) nounwind
{
v1:
  %v2 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v3 = load ptr, ptr %v2
  %v4 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v5 = load ptr, ptr %v4
  %v6 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v7 = load ptr, ptr %v6
  %v8 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v9 = load ptr, ptr %v8
  call void @g0(ptr %v3, ptr %v5, ptr %v7, ptr %v9)
  %v10 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v11 = load ptr, ptr %v10
  %v12 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v13 = load ptr, ptr %v12
  %v14 = getelementptr inbounds ptr, ptr %v0, i64 9
  %v15 = load ptr, ptr %v14
  %v16 = getelementptr inbounds ptr, ptr %v0, i64 1
  %v17 = load ptr, ptr %v16
  %v18 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v19 = load ptr, ptr %v18
  call void @g2(ptr %v11, ptr %v13, ptr %v15, ptr %v17, ptr %v19)
  %v20 = getelementptr inbounds ptr, ptr %v0, i64 9
  %v21 = load ptr, ptr %v20
  %v22 = getelementptr inbounds ptr, ptr %v0, i64 11
  %v23 = load ptr, ptr %v22
  call void @g4(ptr %v21, ptr %v23)
  %v24 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v25 = load ptr, ptr %v24
  %v26 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v27 = load ptr, ptr %v26
  %v28 = getelementptr inbounds ptr, ptr %v0, i64 12
  %v29 = load ptr, ptr %v28
  %v30 = getelementptr inbounds ptr, ptr %v0, i64 8
  %v31 = load ptr, ptr %v30
  call void @g5(ptr %v25, ptr %v27, ptr %v29, ptr %v31)
  %v32 = getelementptr inbounds ptr, ptr %v0, i64 7
  %v33 = load ptr, ptr %v32
  %v34 = getelementptr inbounds ptr, ptr %v0, i64 10
  %v35 = load ptr, ptr %v34
  %v36 = getelementptr inbounds ptr, ptr %v0, i64 6
  %v37 = load ptr, ptr %v36
  %v38 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v39 = load ptr, ptr %v38
  %v40 = getelementptr inbounds ptr, ptr %v0, i64 3
  %v41 = load ptr, ptr %v40
  call void @g6(ptr %v33, ptr %v35, ptr %v37, ptr %v39, ptr %v41)
  %v42 = getelementptr inbounds ptr, ptr %v0, i64 0
  %v43 = load ptr, ptr %v42
  %v44 = getelementptr inbounds ptr, ptr %v0, i64 12
  %v45 = load ptr, ptr %v44
  %v46 = getelementptr inbounds ptr, ptr %v0, i64 5
  %v47 = load ptr, ptr %v46
  %v48 = getelementptr inbounds ptr, ptr %v0, i64 4
  %v49 = load ptr, ptr %v48
  %v50 = getelementptr inbounds ptr, ptr %v0, i64 2
  %v51 = load ptr, ptr %v50
  call void @g7(ptr %v43, ptr %v45, ptr %v47, ptr %v49, ptr %v51)
  ret void
}

!0 = !{ !"llvm.loop.unroll.disable" }
!1 = !{ !1, !0 }
